// What a supervisor does from the wallboard (C8): force an agent ready, not ready with a
// reason, or logged out; hang up the agent's call; listen, whisper or barge from their own
// phone, switching mode during the session. Every action goes through the API, signed by
// the session cookie with the X-CTI-CSRF header; the server records who did it. Nothing
// here changes what the page shows: the live feed brings the outcome, as for any change.
// A viewer (a wall display, P22) gets none of it: no panel, no notice form, no break
// requests, no controls; the server refuses a viewer's actions anyway. Agents' requests
// for a longer break (P5) are listed with Approve and Refuse while pending, then as
// approved until they end.
import { act, say } from "/static/api.js";

const MODES = { listen: "Listen", whisper: "Whisper", barge: "Barge" };
const DOING = { listen: "Listening to", whisper: "Whispering to", barge: "Barging in on" };
const SPY_STATE = { calling: "your phone is ringing", spying: "" };

const desk = {
  selected: null, reasons: [], me: null, mine: null, board: null, redraw: null,
  notices: new Map(), // by queue (P20), from the live feed
  breaks: new Map(), // by agent (P5): requests pending or approved, from the live feed
};

function $(id) { return document.getElementById(id); }


async function run(label, method, path, body) {
  say("panel-outcome", `${label}…`, true);
  const { ok, text } = await act(method, path, body);
  say("panel-outcome", ok ? `${label}: done` : `${label}: ${text}`, ok);
  return ok;
}

export function viewing() { return desk.me !== null && desk.me.role === "viewer"; }

export async function setUp(board, me, redraw) {
  Object.assign(desk, { board, me, redraw });
  if (viewing()) {
    document.body.classList.add("viewer");
    $("notice-form").hidden = true;
    // The feed sends a viewer no break requests (P5 is supervisors' business): no section.
    $("breaks").closest("section").hidden = true;
    return;
  }
  const found = await act("GET", "/api/v1/reasons");
  desk.reasons = found.ok ? found.answer.reasons : [];
  const select = $("reason");
  for (const reason of desk.reasons) {
    const option = document.createElement("option");
    option.value = reason.code;
    option.textContent = reason.label ? `${reason.label} (${reason.code})` : reason.code;
    select.append(option);
  }
  $("phone").value = me.device ? me.device.replace(/^PJSIP\//, "") : "";
  $("agents").tBodies[0].addEventListener("click", (event) => {
    const row = event.target.closest("tr[data-agent]");
    if (row) select_(row.dataset.agent);
  });
  $("agents").tBodies[0].addEventListener("keydown", (event) => {
    const row = event.target.closest("tr[data-agent]");
    if (row && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      select_(row.dataset.agent);
    }
  });
  $("panel-close").addEventListener("click", () => select_(null));
  const agentPath = (what) => `/api/v1/agents/${encodeURIComponent(desk.selected)}/${what}`;
  $("force-ready").addEventListener("click", () => run("Ready", "POST", agentPath("ready"), {}));
  $("force-not-ready").addEventListener("click", () =>
    run("Not ready", "POST", agentPath("not-ready"), { reason: $("reason").value }));
  $("force-logout").addEventListener("click", () => run("Log out", "POST", agentPath("logout"), {}));
  $("hang-up").addEventListener("click", () => run("Hang up", "POST", agentPath("hangup"), {}));
  for (const mode of Object.keys(MODES)) {
    $(`spy-${mode}`).addEventListener("click", () => monitor(desk.selected, mode));
    $(`switch-${mode}`).addEventListener("click", () => monitor(desk.mine.agent, mode, "spy-outcome"));
  }
  $("notice-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const queue = $("notice-queue").value;
    const body = { prompt: $("notice-prompt").value.trim(), text: $("notice-text").value.trim() };
    const path = `/api/v1/queues/${encodeURIComponent(queue)}/notice`;
    const { ok, text } = await act("PUT", path, body);
    say("notice-outcome", ok ? `Notice set on ${queue}` : text, ok);
  });
  $("spy-end").addEventListener("click", async () => {
    const { ok, text } = await act("DELETE", "/api/v1/monitoring");
    if (!ok) say("spy-outcome", text, false);
  });
}

async function monitor(agent, mode, where = "panel-outcome") {
  const phone = $("phone").value.trim();
  const body = { agent, mode, ...(phone ? { device: phone } : {}) };
  say(where, `${MODES[mode]}…`, true);
  const switching = desk.mine !== null && desk.mine.agent === agent;
  const { ok, text, answer } = await act("POST", "/api/v1/monitoring", body);
  const done = switching ? "switched" : "calling your phone";
  say(where, ok ? `${MODES[mode]}: ${done}` : `${MODES[mode]}: ${text}`, ok);
  if (ok) take({ type: "monitoring", supervisor: desk.me.name, monitoring: answer.monitoring });
}

function select_(agent) {
  desk.selected = agent;
  say("panel-outcome", "", true);
  desk.redraw();
}

async function clearNotice(queue) {
  const { ok, text } = await act("DELETE", `/api/v1/queues/${encodeURIComponent(queue)}/notice`);
  say("notice-outcome", ok ? `Notice cleared on ${queue}` : text, ok);
}

// The live feed's word on monitoring (cti/api/hub.py rule 9): the snapshot's list, then
// a `monitoring` message per change; only this supervisor's own session has controls.
export function take(message) {
  if (message.type === "snapshot") {
    desk.mine = (message.monitoring || []).find((m) => m.supervisor === desk.me.name) || null;
    desk.notices = new Map((message.notices || []).map((n) => [n.queue, n]));
    desk.breaks = new Map((message.breaks || []).map((b) => [b.agent, b]));
  } else if (message.type === "break") {
    const request = message.request;
    if (request.phase === "pending" || request.phase === "approved") desk.breaks.set(request.agent, request);
    else desk.breaks.delete(request.agent);
  } else if (message.type === "notice") {
    if (message.notice) desk.notices.set(message.queue, message.notice);
    else desk.notices.delete(message.queue);
  } else if (message.type === "monitoring" && message.supervisor === desk.me.name) {
    if (message.monitoring && message.monitoring.state === "spying" &&
        (!desk.mine || desk.mine.state !== "spying")) {
      say("panel-outcome", "", true); // the phone answered: "calling your phone" is over
    }
    desk.mine = message.monitoring;
    if (!message.monitoring && message.why && message.why !== "ended") {
      say("spy-outcome", `Monitoring ended: ${message.why}`, false);
    } else if (!message.monitoring) {
      say("spy-outcome", "Monitoring ended", true);
    }
  } else {
    return false;
  }
  desk.redraw();
  return true;
}

export function selected() { return desk.selected; }

export function draw(now, clock, stateText) {
  drawPanel(stateText);
  drawSpy(now, clock);
  drawNotices(now, clock);
  drawBreaks(now, clock);
}

async function decide(agent, action) {
  const path = `/api/v1/agents/${encodeURIComponent(agent)}/break-request/${action}`;
  const { ok, text } = await act("POST", path, {});
  say("break-outcome", ok ? `${agent}'s break ${action === "approve" ? "approved" : "refused"}` : text, ok);
}

function drawBreaks(now, clock) {
  const list = $("breaks");
  list.replaceChildren();
  for (const b of [...desk.breaks.values()].sort((x, y) => x.asked_at - y.asked_at)) {
    const item = document.createElement("li");
    item.className = `break ${b.phase}`;
    item.dataset.agent = b.agent;
    const what = document.createElement("span");
    const asked = `${b.agent} asks for ${b.reason} of ${clock(b.seconds)}`;
    what.textContent = b.phase === "pending"
      ? `${asked} · asked ${clock(now - b.asked_at)} ago`
      : `${b.agent}: ${b.reason} of ${clock(b.seconds)} approved by ${b.decided_by.replace(/^[a-z]+:/, "")}` +
        (b.used ? " · on it" : " · not started");
    item.append(what);
    if (b.phase === "pending" && !viewing()) {
      for (const [action, label] of [["approve", "Approve"], ["refuse", "Refuse"]]) {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = label;
        button.setAttribute("aria-label", `${label} ${b.agent}'s break of ${clock(b.seconds)}`);
        button.addEventListener("click", () => decide(b.agent, action));
        item.append(" ", button);
      }
    }
    list.append(item);
  }
  $("no-breaks").hidden = desk.breaks.size > 0;
}

function drawNotices(now, clock) {
  const list = $("notices");
  list.replaceChildren();
  for (const n of [...desk.notices.values()].sort((a, b) => a.queue.localeCompare(b.queue))) {
    const item = document.createElement("li");
    item.className = "notice";
    item.dataset.queue = n.queue;
    const what = document.createElement("span");
    what.textContent = `Notice on ${n.queue}: ${n.text || "(no text)"} · plays ${n.prompt} · set by ` +
      `${n.by.replace(/^[a-z]+:/, "")} ${clock(now - n.since)} ago`;
    item.append(what);
    if (!viewing()) {
      const clear = document.createElement("button");
      clear.type = "button";
      clear.textContent = "Clear";
      clear.setAttribute("aria-label", `Clear the outage notice of ${n.queue}`);
      clear.addEventListener("click", () => clearNotice(n.queue));
      item.append(" ", clear);
    }
    list.append(item);
  }
  $("no-notices").hidden = desk.notices.size > 0;
  const select = $("notice-queue");
  const queues = [...desk.board.queues.keys()].sort();
  if (select.options.length !== queues.length) {
    const chosen = select.value;
    select.replaceChildren(...queues.map((q) => new Option(q, q)));
    if (queues.includes(chosen)) select.value = chosen;
  }
}

function drawPanel(stateText) {
  const panel = $("agent-panel");
  const agent = desk.selected ? desk.board.agents.get(desk.selected) : null;
  panel.hidden = !agent;
  if (!agent) return;
  $("panel-title").textContent = `${agent.agent}${agent.name ? ` · ${agent.name}` : ""}`;
  const reason = agent.reason ? ` (${agent.reason})` : "";
  $("panel-state").textContent = `${stateText[agent.state] || agent.state}${reason}`;
  const loggedIn = agent.state !== "logged_out";
  const talking = agent.state === "on_call" && agent.call;
  $("force-ready").disabled = !loggedIn || agent.state === "available";
  $("force-not-ready").disabled = !loggedIn || !desk.reasons.length;
  $("force-logout").disabled = !loggedIn;
  $("hang-up").disabled = !talking;
  for (const mode of Object.keys(MODES)) $(`spy-${mode}`).disabled = !talking;
  $("panel-call").textContent = talking
    ? `On a call with ${agent.call.caller || "unknown"} (${agent.call.queue || "no queue"})`
    : "Not on a call";
}

function drawSpy(now, clock) {
  const bar = $("spy");
  const mine = desk.mine;
  bar.hidden = !mine;
  if (!mine) return;
  const since = mine.started_at ? ` · ${clock(now - mine.started_at)}` : "";
  const note = SPY_STATE[mine.state] ? ` · ${SPY_STATE[mine.state]}` : "";
  $("spy-text").textContent = `${DOING[mine.mode]} agent ${mine.agent}${note}${since}`;
  for (const mode of Object.keys(MODES)) {
    const button = $(`switch-${mode}`);
    button.disabled = mine.state !== "spying" || mine.mode === mode;
    button.setAttribute("aria-pressed", String(mine.mode === mode));
  }
}
