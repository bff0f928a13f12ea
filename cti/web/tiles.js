// The queues' tiles: made once per queue, then each measure is written in place, so a
// `views` message redraws the figures that changed and nothing else.
//
// A tile says its worst level in its heading (word and icon, not colour alone), and each
// measure past a threshold says its own beside the value, with the thresholds as a title.
import { LEVEL_RANK, LEVEL_TEXT, clock, duration, percent, setClass, setText } from "/static/format.js";

const LIVE = [
  ["wait", "Longest wait"], ["in", "Logged in"], ["ready", "Ready"], ["call", "On call"],
  ["wrap", "Wrap-up"], ["away", "Not ready"],
];
const TODAY = [
  ["offered", "Offered"], ["answered", "Answered"], ["abandoned", "Abandoned"],
  ["rate", "Abandon %"], ["sl", "Service level"], ["asa", "ASA"], ["aht", "AHT"],
];

function worstOf(levels) {
  if (!levels) return "ok";
  const all = [levels.longest_wait.level, levels.ready_agents.level, levels.service_level.level,
    levels.not_ready.level];
  return all.reduce((worst, l) => (LEVEL_RANK[l] > LEVEL_RANK[worst] ? l : worst), "ok");
}

function flagged(parent) {
  const shown = document.createElement("span");
  shown.hidden = true;
  parent.append(" ", shown);
  return shown;
}

function setFlag(shown, level, why) {
  const on = Boolean(level) && level !== "ok";
  shown.hidden = !on;
  if (!on) { setText(shown, ""); return; }
  setClass(shown, `flag ${level}`);
  setText(shown, LEVEL_TEXT[level]);
  if (shown.title !== (why || "")) shown.title = why || "";
}

function measures(list, names) {
  const found = {};
  for (const [key, label] of names) {
    const dt = document.createElement("dt");
    dt.textContent = label;
    const dd = document.createElement("dd");
    const value = document.createElement("span");
    dd.append(value);
    list.append(dt, dd);
    found[key] = { dt, dd, value, flag: flagged(dd) };
  }
  return found;
}

function setMeasure(m, value, level, why) {
  setText(m.value, value);
  if (!level && why && m.dd.title !== why) m.dd.title = why; // what the count includes
  const at = level && level !== "ok" ? `at-${level}` : "";
  setClass(m.dt, at);
  setClass(m.dd, at);
  setFlag(m.flag, level, why);
}

export class Tiles {
  constructor(holder) {
    this.holder = holder;
    this.tiles = new Map(); // queue -> the tile's nodes and the view it shows
  }

  // Each queue of `views` (a Map of queue -> view) in `changed`, or all of them.
  draw(views, changed, now) {
    let added = false;
    for (const queue of changed || views.keys()) {
      const view = views.get(queue);
      if (!view) continue;
      let tile = this.tiles.get(queue);
      if (!tile) { tile = this.make(queue); added = true; }
      tile.view = view;
      this.fill(tile, now);
    }
    if (added) this.holder.replaceChildren(...[...this.tiles.keys()].sort().map((q) => this.tiles.get(q).node));
  }

  tick(now) {
    for (const tile of this.tiles.values()) this.wait(tile, now);
  }

  make(queue) {
    const node = document.createElement("article");
    node.dataset.queue = queue;
    node.innerHTML = `<div class="head"><h3></h3></div>
      <p class="big"><span class="waiting"></span> <span class="unit">waiting</span></p>
      <dl class="members live"></dl>
      <h4>Today</h4>
      <dl class="members today"></dl>`;
    const head = node.querySelector(".head");
    const tile = {
      node, view: null, title: node.querySelector("h3"), worst: flagged(head),
      waiting: node.querySelector(".waiting"),
      live: measures(node.querySelector(".live"), LIVE),
      today: measures(node.querySelector(".today"), TODAY),
      slLabel: null,
    };
    tile.slLabel = tile.today.sl.dt;
    this.tiles.set(queue, tile);
    return tile;
  }

  fill(tile, now) {
    const q = tile.view, levels = q.levels, worst = worstOf(levels);
    setClass(tile.node, `tile level-${worst}`);
    setText(tile.title, q.name ? `${q.name} (${q.queue})` : q.queue);
    setFlag(tile.worst, worst);
    setText(tile.waiting, q.calls.length);
    const members = q.agents;
    const loggedIn = Object.entries(members).filter(([s]) => s !== "logged_out")
      .reduce((n, [, ids]) => n + ids.length, 0);
    const ready = levels && levels.ready_agents, away = levels && levels.not_ready;
    const live = tile.live;
    this.wait(tile, now);
    setMeasure(live.in, loggedIn);
    setMeasure(live.ready, members.available.length, ready && ready.level,
      ready && `warn below ${ready.warn}, alert below ${ready.alert}`);
    const busy = members.on_call.length + members.offered.length + (members.reserved || []).length;
    setMeasure(live.call, busy, null, "talking, ringing, or reserved for an outbound dial");
    setMeasure(live.wrap, members.wrap_up.length);
    const over = away ? Object.keys(away.agents) : [];
    setMeasure(live.away, members.not_ready.length, away && away.level,
      over.length ? `near or over the reason's limit: ${over.join(", ")}` : "");
    this.today(tile, q.today, levels && levels.service_level);
  }

  wait(tile, now) {
    const q = tile.view, wait = q.levels && q.levels.longest_wait;
    const oldest = q.calls.length ? now - Math.min(...q.calls.map((c) => c.entered_at)) : 0;
    setMeasure(tile.live.wait, clock(oldest), wait && wait.level,
      wait && `warn from ${clock(wait.warn)}, alert from ${clock(wait.alert)}`);
  }

  today(tile, today, sl) {
    const t = tile.today;
    const seconds = today ? ` (${today.service_level_seconds} s)` : "";
    setText(tile.slLabel, `Service level${seconds}`);
    if (!today) {
      for (const m of Object.values(t)) setMeasure(m, "–");
      return;
    }
    setMeasure(t.offered, today.offered);
    setMeasure(t.answered, today.answered);
    setMeasure(t.abandoned, today.abandoned);
    setMeasure(t.rate, percent(today.abandon_rate));
    setMeasure(t.sl, percent(today.service_level), sl && sl.level,
      sl && `warn below ${percent(sl.warn)}, alert below ${percent(sl.alert)}`);
    setMeasure(t.asa, duration(today.asa_seconds));
    setMeasure(t.aht, duration(today.aht_seconds));
  }
}
