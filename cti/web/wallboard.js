// The wallboard: a snapshot, then the hub's coalesced `views` over the live feed
// (cti/api/hub.py rule 7). Nothing is polled; times tick locally from the server's
// instants, corrected by the clock offset of the last message. Each draw writes only what
// a message changed (cti/web/rows.js, cti/web/tiles.js), and the tick only the clocks on
// screen, so a board of 1,000 agents stays light at 200 changes a second.
import * as supervise from "/static/supervise.js";
import { KeyedRows } from "/static/rows.js";
import { Tiles } from "/static/tiles.js";
import { STATE_TEXT, clock, flag, setClass, setText } from "/static/format.js";

const CSRF = { "X-CTI-CSRF": "1" };
const board = { queues: new Map(), agents: new Map(), offset: 0, alerts: [], amiUp: true };
const pending = { all: true, queues: new Set(), agents: new Set(), alerts: true };
let sortKey = "agent";
let sortUp = true;
let drawing = false;
let retry = 1;
let tiles, agentRows, callerRows;
const callerQueue = new Map(); // call id -> the queue it waits in

function $(id) { return document.getElementById(id); }

function serverNow() { return Date.now() / 1000 + board.offset; }

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

function cells(row, count) {
  for (let n = 0; n < count; n += 1) row.insertCell();
  return row.cells;
}

function makeCaller(call) {
  const row = document.createElement("tr");
  row.dataset.call = call;
  cells(row, 6);
  return row;
}

function fillCaller(row, c) {
  const [position, number, queue, priority, , ringing] = row.cells;
  setText(position, c.position);
  setText(number, c.caller || "unknown");
  setText(queue, c.queue);
  setText(priority, c.priority ? `▲ ${c.priority}` : "0");
  setClass(priority, c.priority ? "urgent" : "");
  setText(ringing, c.offer ? `${c.offer.agent}, ring ${c.offer.rings} of ${c.offer.ring_limit}` : "–");
}

function tickCaller(row, c) { setText(row.cells[4], clock(serverNow() - c.entered_at)); }

function callerOrder(a, b) {
  return b.priority - a.priority || a.entered_at - b.entered_at || a.call_id.localeCompare(b.call_id);
}

function drawCallers(queues) {
  for (const queue of queues) {
    const q = board.queues.get(queue);
    const calls = q ? q.calls : [];
    const rings = new Map((q ? q.offers : []).map((o) => [o.call_id, o]));
    const now = new Set(calls.map((c) => c.call_id));
    for (const [call, where] of callerQueue) {
      if (where === queue && !now.has(call)) { callerQueue.delete(call); callerRows.drop(call); }
    }
    for (const c of calls) {
      callerQueue.set(c.call_id, queue);
      callerRows.put(c.call_id, { ...c, queue, offer: rings.get(c.call_id) }, pending.all);
    }
  }
}

function agentText(a) {
  return [a.agent, a.name, STATE_TEXT[a.state] || a.state, a.reason || "", ...(a.queues || [])]
    .join(" ").toLowerCase();
}

function makeAgent(agent) {
  const row = document.createElement("tr");
  row.dataset.agent = agent;
  if (!supervise.viewing()) row.tabIndex = 0; // chosen with a click or Enter: its actions (C8)
  const [id, , state] = cells(row, 9);
  id.textContent = agent;
  const badge = document.createElement("span");
  badge.className = "badge";
  state.append(badge, document.createTextNode(""));
  return row;
}

function fillAgent(row, a) {
  const chosen = supervise.selected() === a.agent;
  setClass(row, chosen ? "selected" : "");
  if (row.getAttribute("aria-selected") !== String(chosen)) row.setAttribute("aria-selected", String(chosen));
  const [, name, state, , queues, calls, misses, call, device] = row.cells;
  setText(name, a.name || "–");
  setClass(state, `state ${a.state}`);
  setText(state.firstChild, STATE_TEXT[a.state] || a.state);
  setText(state.lastChild, a.reason ? ` ${a.reason}` : "");
  setText(queues, (a.queues || []).join(", ") || "–");
  setText(calls, a.calls_answered ?? 0);
  setText(misses, a.misses_in_row ?? 0);
  setText(call, a.call ? `${a.call.caller || "unknown"} · ${a.call.queue || ""}` : "–");
  setText(device, a.device || "–");
}

function tickAgent(row, a) {
  setText(row.cells[3], a.state === "logged_out" || !a.since ? "–" : clock(serverNow() - a.since));
}

function agentOrder(a, b) {
  const x = a[sortKey] ?? "", y = b[sortKey] ?? "";
  const order = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
  return (sortUp ? order : -order) || a.agent.localeCompare(b.agent);
}

function agentShown(a) {
  const needle = $("filter").value.trim().toLowerCase();
  return !needle || agentText(a).includes(needle);
}

function drawAgents(changed, arrangeAfter) {
  for (const agent of changed) {
    const a = board.agents.get(agent);
    if (a) agentRows.put(agent, a, arrangeAfter);
    else agentRows.drop(agent);
  }
}

function draw() {
  drawing = false;
  const now = serverNow();
  if (pending.all) {
    for (const agent of [...agentRows.keys()]) if (!board.agents.has(agent)) agentRows.drop(agent);
    for (const call of [...callerQueue.keys()]) if (!board.queues.has(callerQueue.get(call))) {
      callerQueue.delete(call);
      callerRows.drop(call);
    }
    pending.agents = new Set(board.agents.keys());
    pending.queues = new Set(board.queues.keys());
  }
  tiles.draw(board.queues, pending.all ? null : pending.queues, now);
  drawCallers(pending.queues);
  drawAgents(pending.agents, pending.all);
  if (pending.all) { agentRows.arrange(); callerRows.arrange(); }
  $("no-callers").hidden = callerRows.size > 0;
  if (pending.alerts) drawAlerts();
  Object.assign(pending, { all: false, queues: new Set(), agents: new Set(), alerts: false });
  supervise.draw(now, clock, STATE_TEXT);
}

function later(what = { all: true }) {
  if (what.all) pending.all = true;
  for (const q of what.queues || []) pending.queues.add(q);
  for (const a of what.agents || []) pending.agents.add(a);
  if (what.alerts) pending.alerts = true;
  if (!drawing) {
    drawing = true;
    requestAnimationFrame(draw);
  }
}

// The 1 s tick: only what time changes, on screen (cti/web/rows.js rule 4).
function tick() {
  const now = serverNow();
  tiles.tick(now);
  agentRows.tick();
  callerRows.tick();
  supervise.draw(now, clock, STATE_TEXT);
}

function take(message) {
  if (typeof message.at === "number") board.offset = message.at - Date.now() / 1000;
  if (message.type === "monitoring" || message.type === "notice" || message.type === "break") {
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
    later({ all: true, alerts: true });
  } else if (message.type === "alert") {
    alerted(message);
    later({ alerts: true });
  } else if (message.type === "views") {
    for (const q of message.queues) board.queues.set(q.queue, q);
    for (const a of message.agents) board.agents.set(a.agent, a);
    later({ queues: message.queues.map((q) => q.queue), agents: message.agents.map((a) => a.agent) });
  }
}

function link(text, ok) {
  const shown = $("link");
  shown.textContent = text;
  shown.className = ok ? "link ok" : "link down";
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/api/v1/events?feed=board`);
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
  $("who").textContent = me.role === "viewer"
    ? `${me.name} (view only: numbers masked)` : `${me.name} (${me.role})`;
  tiles = new Tiles($("queues"));
  agentRows = new KeyedRows($("agents").tBodies[0], {
    make: makeAgent, fill: fillAgent, order: agentOrder, keep: agentShown, tick: tickAgent,
  });
  callerRows = new KeyedRows($("callers").tBodies[0], {
    make: makeCaller, fill: fillCaller, order: callerOrder, tick: tickCaller,
  });
  await supervise.setUp(board, me, () => later());
  $("signout").addEventListener("click", async () => {
    await fetch("/api/v1/session", { method: "DELETE", headers: CSRF });
    location.assign("/signin");
  });
  $("filter").addEventListener("input", () => later());
  for (const button of document.querySelectorAll("th button[data-sort]")) {
    button.addEventListener("click", () => {
      sortUp = sortKey === button.dataset.sort ? !sortUp : true;
      sortKey = button.dataset.sort;
      later();
    });
  }
  setInterval(tick, 1000); // times in state and waits tick locally
  connect();
}

main();
