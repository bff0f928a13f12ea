// The wallboard: a snapshot, then the hub's coalesced `views` over the live feed
// (cti/api/hub.py rule 7). Nothing is polled; times tick locally from the server's
// instants, corrected by the clock offset of the last message.
import * as supervise from "/static/supervise.js";

const CSRF = { "X-CTI-CSRF": "1" };
const STATE_TEXT = {
  available: "Ready", offered: "Ringing", on_call: "On call", wrap_up: "Wrap-up",
  not_ready: "Not ready", logged_out: "Logged out",
};
const board = { queues: new Map(), agents: new Map(), offset: 0, alerts: [], amiUp: true };
let sortKey = "agent";
let sortUp = true;
let drawn = false;
let retry = 1;

function $(id) { return document.getElementById(id); }

function serverNow() { return Date.now() / 1000 + board.offset; }

function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const mm = String(m).padStart(h ? 2 : 1, "0"), ss = String(r).padStart(2, "0");
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

// Levels of the queue's thresholds (cti/domain/thresholds.py), said in words and with an
// icon as well as in colour; "ok" is left unsaid, so what needs a look stands out.
const LEVEL_TEXT = { ok: "✓ ok", warn: "⚠ warn", alert: "✖ alert" };
const LEVEL_RANK = { ok: 0, warn: 1, alert: 2 };

function percent(ratio) {
  return ratio === null || ratio === undefined ? "–" : `${(ratio * 100).toFixed(1).replace(/\.0$/, "")} %`;
}

function duration(seconds) {
  return seconds === null || seconds === undefined ? "–" : clock(seconds);
}

function flag(level, why) {
  const shown = document.createElement("span");
  shown.className = `flag ${level}`;
  shown.textContent = LEVEL_TEXT[level] || "";
  if (why) shown.title = why;
  return shown;
}

function measure(list, label, value, level, why) {
  const dt = document.createElement("dt");
  dt.textContent = label;
  const dd = document.createElement("dd");
  dd.textContent = value;
  if (level && level !== "ok") {
    dd.append(" ", flag(level, why));
    dt.className = dd.className = `at-${level}`;
  }
  list.append(dt, dd);
}

function tileLevel(levels) {
  if (!levels) return "ok";
  const all = [levels.longest_wait.level, levels.ready_agents.level, levels.service_level.level,
    levels.not_ready.level];
  return all.reduce((worst, l) => (LEVEL_RANK[l] > LEVEL_RANK[worst] ? l : worst), "ok");
}

function drawQueues() {
  const tiles = $("queues");
  tiles.replaceChildren();
  for (const q of [...board.queues.values()].sort((a, b) => a.queue.localeCompare(b.queue))) {
    const levels = q.levels, today = q.today, worst = tileLevel(levels);
    const tile = document.createElement("article");
    tile.className = `tile level-${worst}`;
    tile.dataset.queue = q.queue;
    const oldest = q.calls.length ? serverNow() - Math.min(...q.calls.map((c) => c.entered_at)) : 0;
    const members = q.agents;
    const loggedIn = Object.entries(members).filter(([s]) => s !== "logged_out")
      .reduce((n, [, ids]) => n + ids.length, 0);
    tile.innerHTML = `<div class="head"><h3></h3></div>
      <p class="big"><span class="waiting"></span> <span class="unit">waiting</span></p>
      <dl class="members live"></dl>
      <h4>Today</h4>
      <dl class="members today"></dl>`;
    const title = tile.querySelector("h3");
    title.textContent = q.name ? `${q.name} (${q.queue})` : q.queue;
    if (worst !== "ok") tile.querySelector(".head").append(flag(worst));
    tile.querySelector(".waiting").textContent = q.calls.length;
    const live = tile.querySelector(".live");
    const wait = levels && levels.longest_wait, ready = levels && levels.ready_agents;
    const away = levels && levels.not_ready;
    measure(live, "Longest wait", clock(oldest), wait && wait.level,
      wait && `warn from ${clock(wait.warn)}, alert from ${clock(wait.alert)}`);
    measure(live, "Logged in", loggedIn);
    measure(live, "Ready", members.available.length, ready && ready.level,
      ready && `warn below ${ready.warn}, alert below ${ready.alert}`);
    measure(live, "On call", members.on_call.length + members.offered.length);
    measure(live, "Wrap-up", members.wrap_up.length);
    const over = away ? Object.keys(away.agents) : [];
    measure(live, "Not ready", members.not_ready.length, away && away.level,
      over.length ? `near or over the reason's limit: ${over.join(", ")}` : "");
    const figures = tile.querySelector(".today");
    if (!today) {
      measure(figures, "Offered", "–");
    } else {
      const sl = levels && levels.service_level;
      measure(figures, "Offered", today.offered);
      measure(figures, "Answered", today.answered);
      measure(figures, "Abandoned", today.abandoned);
      measure(figures, "Abandon %", percent(today.abandon_rate));
      measure(figures, `Service level (${today.service_level_seconds} s)`, percent(today.service_level),
        sl && sl.level, sl && `warn below ${percent(sl.warn)}, alert below ${percent(sl.alert)}`);
      measure(figures, "ASA", duration(today.asa_seconds));
      measure(figures, "AHT", duration(today.aht_seconds));
    }
    tiles.append(tile);
  }
}

// Alerts as they happen (cti/api/board.py rule 3), newest first; the server keeps the
// last 50 for a reconnecting page, and so does the page.
const MOST_ALERTS = 50;

function drawAlerts() {
  const list = $("alerts");
  list.replaceChildren();
  for (const a of board.alerts) {
    const item = document.createElement("li");
    item.className = `alert-item at-${a.level}`;
    const when = document.createElement("time");
    when.dateTime = new Date(a.at * 1000).toISOString();
    when.textContent = centreTime(a.at);
    const text = document.createElement("span");
    text.className = "text";
    text.textContent = a.text;
    item.append(flag(a.level), " ", when, " ", text);
    list.append(item);
  }
  $("no-alerts").hidden = board.alerts.length > 0;
  $("ami").hidden = board.amiUp !== false;
}

function centreTime(at) {
  const options = { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false };
  try {
    return new Date(at * 1000).toLocaleTimeString("en-GB", { ...options, timeZone: board.zone });
  } catch (_) { // a zone this browser does not know: its own
    return new Date(at * 1000).toLocaleTimeString("en-GB", options);
  }
}

function alerted(alert) {
  board.alerts.unshift(alert);
  board.alerts.length = Math.min(board.alerts.length, MOST_ALERTS);
  if (alert.kind === "link_down") board.amiUp = false;
  if (alert.kind === "link_up") board.amiUp = true;
}

function drawCallers() {
  const body = $("callers").tBodies[0];
  body.replaceChildren();
  const callers = [];
  for (const q of board.queues.values()) {
    const rings = new Map(q.offers.map((o) => [o.call_id, o]));
    for (const c of q.calls) callers.push({ ...c, queue: q.queue, offer: rings.get(c.call_id) });
  }
  callers.sort((a, b) => b.priority - a.priority || a.entered_at - b.entered_at);
  for (const c of callers) {
    const row = body.insertRow();
    row.dataset.call = c.call_id;
    cell(row, c.position);
    cell(row, c.caller || "unknown");
    cell(row, c.queue);
    cell(row, c.priority ? `▲ ${c.priority}` : "0", c.priority ? "urgent" : "");
    cell(row, clock(serverNow() - c.entered_at));
    cell(row, c.offer ? `${c.offer.agent}, ring ${c.offer.rings} of ${c.offer.ring_limit}` : "–");
  }
  $("no-callers").hidden = callers.length > 0;
}

function agentText(a) {
  return [a.agent, a.name, STATE_TEXT[a.state] || a.state, a.reason || "", ...(a.queues || [])]
    .join(" ").toLowerCase();
}

function drawAgents() {
  const body = $("agents").tBodies[0];
  body.replaceChildren();
  const needle = $("filter").value.trim().toLowerCase();
  const rows = [...board.agents.values()].filter((a) => !needle || agentText(a).includes(needle));
  rows.sort((a, b) => {
    const x = a[sortKey] ?? "", y = b[sortKey] ?? "";
    const order = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
    return sortUp ? order : -order;
  });
  for (const a of rows) {
    const row = body.insertRow();
    row.dataset.agent = a.agent;
    row.tabIndex = 0; // a row is chosen with a click or Enter: the agent's actions (C8)
    if (supervise.selected() === a.agent) row.className = "selected";
    row.setAttribute("aria-selected", String(supervise.selected() === a.agent));
    cell(row, a.agent);
    cell(row, a.name || "–");
    const state = cell(row, "", `state ${a.state}`);
    const badge = document.createElement("span");
    badge.className = "badge";
    badge.textContent = STATE_TEXT[a.state] || a.state;
    state.append(badge);
    if (a.reason) state.append(` ${a.reason}`);
    cell(row, a.state === "logged_out" || !a.since ? "–" : clock(serverNow() - a.since));
    cell(row, (a.queues || []).join(", ") || "–");
    cell(row, a.calls_answered ?? 0);
    cell(row, a.misses_in_row ?? 0);
    const call = a.call;
    cell(row, call ? `${call.caller || "unknown"} · ${call.queue || ""}` : "–");
    cell(row, a.device || "–");
  }
}

function draw() {
  drawn = false;
  drawQueues();
  drawAlerts();
  drawCallers();
  drawAgents();
  supervise.draw(serverNow(), clock, STATE_TEXT);
}

function later() {
  if (!drawn) {
    drawn = true;
    requestAnimationFrame(draw);
  }
}

function take(message) {
  if (typeof message.at === "number") board.offset = message.at - Date.now() / 1000;
  if (message.type === "monitoring" || message.type === "notice") {
    supervise.take(message);
    return;
  }
  if (message.type === "snapshot") {
    supervise.take(message);
    board.queues = new Map(message.queues.map((q) => [q.queue, q]));
    board.agents = new Map(message.agents.map((a) => [a.agent, a]));
    board.alerts = [...(message.alerts || [])].reverse().slice(0, MOST_ALERTS);
    board.amiUp = message.ami_up !== false;
    board.zone = message.today ? message.today.timezone : undefined;
  } else if (message.type === "alert") {
    alerted(message);
  } else if (message.type === "views") {
    for (const q of message.queues) board.queues.set(q.queue, q);
    for (const a of message.agents) board.agents.set(a.agent, a);
  } else {
    return;
  }
  later();
}

function link(text, ok) {
  const shown = $("link");
  shown.textContent = text;
  shown.className = ok ? "link ok" : "link down";
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/api/v1/events`);
  socket.onopen = () => { retry = 1; link("live", true); };
  socket.onmessage = (event) => take(JSON.parse(event.data));
  socket.onclose = async () => {
    const who = await fetch("/api/v1/session").catch(() => null);
    if (who && who.status === 401) { location.assign("/signin"); return; }
    link(`live connection lost: reconnecting in ${retry} s`, false);
    setTimeout(connect, retry * 1000);
    retry = Math.min(retry * 2, 30);
  };
}

async function main() {
  const who = await fetch("/api/v1/session");
  if (who.status === 401) { location.assign("/signin"); return; }
  const me = await who.json();
  $("who").textContent = `${me.name} (${me.role})`;
  await supervise.setUp(board, me, later);
  $("signout").addEventListener("click", async () => {
    await fetch("/api/v1/session", { method: "DELETE", headers: CSRF });
    location.assign("/signin");
  });
  $("filter").addEventListener("input", later);
  for (const button of document.querySelectorAll("th button[data-sort]")) {
    button.addEventListener("click", () => {
      sortUp = sortKey === button.dataset.sort ? !sortUp : true;
      sortKey = button.dataset.sort;
      later();
    });
  }
  setInterval(later, 1000); // times in state and waits tick locally
  connect();
}

main();
