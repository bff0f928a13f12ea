// The wallboard: a snapshot, then the hub's coalesced `views` over the live feed
// (cti/api/hub.py rule 7). Nothing is polled; times tick locally from the server's
// instants, corrected by the clock offset of the last message.
const CSRF = { "X-CTI-CSRF": "1" };
const STATE_TEXT = {
  available: "Ready", offered: "Ringing", on_call: "On call", wrap_up: "Wrap-up",
  not_ready: "Not ready", logged_out: "Logged out",
};
const board = { queues: new Map(), agents: new Map(), offset: 0 };
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

function drawQueues() {
  const tiles = $("queues");
  tiles.replaceChildren();
  for (const q of [...board.queues.values()].sort((a, b) => a.queue.localeCompare(b.queue))) {
    const tile = document.createElement("article");
    tile.className = "tile";
    tile.dataset.queue = q.queue;
    const oldest = q.calls.length ? serverNow() - Math.min(...q.calls.map((c) => c.entered_at)) : 0;
    const members = q.agents;
    const loggedIn = Object.entries(members).filter(([s]) => s !== "logged_out")
      .reduce((n, [, ids]) => n + ids.length, 0);
    tile.innerHTML = `<h3></h3>
      <p class="big"><span class="waiting"></span> <span class="unit">waiting</span></p>
      <p>Longest wait <strong class="longest"></strong></p>
      <dl class="members"></dl>`;
    tile.querySelector("h3").textContent = q.name ? `${q.name} (${q.queue})` : q.queue;
    tile.querySelector(".waiting").textContent = q.calls.length;
    tile.querySelector(".longest").textContent = clock(oldest);
    const list = tile.querySelector(".members");
    for (const [label, value] of [
      ["Logged in", loggedIn], ["Ready", members.available.length],
      ["On call", members.on_call.length + members.offered.length],
      ["Wrap-up", members.wrap_up.length], ["Not ready", members.not_ready.length],
    ]) {
      const dt = document.createElement("dt"); dt.textContent = label;
      const dd = document.createElement("dd"); dd.textContent = value;
      list.append(dt, dd);
    }
    tiles.append(tile);
  }
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
  drawCallers();
  drawAgents();
}

function later() {
  if (!drawn) {
    drawn = true;
    requestAnimationFrame(draw);
  }
}

function take(message) {
  if (typeof message.at === "number") board.offset = message.at - Date.now() / 1000;
  if (message.type === "snapshot") {
    board.queues = new Map(message.queues.map((q) => [q.queue, q]));
    board.agents = new Map(message.agents.map((a) => [a.agent, a]));
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
