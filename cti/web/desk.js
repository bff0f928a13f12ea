// The agent desktop (issue 15): sign in with agent id and PIN on this browser's softphone
// or a SIP phone; then the agent's state and controls, the screen pop of each offer (C7)
// and the call's controls, live over the WebSocket (the agent's own feed: its changes and
// its offers). Rings are counted by the server as for any phone (C3): the page answers,
// the server decides; when the offer is withdrawn the page says why.
import { act, say } from "/static/api.js";
import { STATE_TEXT, clock, setClass, setText } from "/static/format.js";
import { Softphone, microphone } from "/static/softphone.js";

const desk = { me: null, agent: null, offset: 0, pop: null, reasons: new Map(), phone: null, retry: 1 };
const HISTORY_S = 2; // a call's record is in the history within this after it ends
const KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"];

function $(id) { return document.getElementById(id); }

function serverNow() { return Date.now() / 1000 + desk.offset; }

function show(view) {
  $("signin-view").hidden = view !== "signin";
  $("desk-view").hidden = view !== "desk";
  for (const id of ["link", "phone-status", "signout"]) $(id).hidden = view !== "desk";
}

function phoneStatus(text, ok) {
  setText($("phone-status"), text);
  setClass($("phone-status"), ok ? "link ok" : "link down");
}

function signInError(text) {
  $("signin-error").textContent = text;
}

// Sign-in ---------------------------------------------------------------------------------

async function signIn(event) {
  event.preventDefault();
  signInError("");
  const button = $("signin").querySelector("button");
  button.disabled = true;
  try {
    await signInWith($("agent").value.trim(), $("pin").value, $("use-softphone").checked);
  } finally {
    button.disabled = false;
  }
}

async function signInWith(agent, pin, softphone) {
  const path = `/api/v1/agents/${encodeURIComponent(agent)}`;
  let device = $("device").value.trim();
  if (softphone) {
    const noMic = await microphone();
    if (noMic) { signInError(`The softphone cannot start: ${noMic}.`); return; }
    const asked = await act("POST", `${path}/softphone`, { pin });
    if (!asked.ok) { signInError(asked.text || `no softphone (${asked.status})`); return; }
    try {
      await startPhone(asked.answer.softphone);
    } catch (failure) {
      signInError(`The softphone did not register: ${failure.message}.`);
      return;
    }
    device = asked.answer.softphone.device;
  } else if (!device) {
    signInError("Say which SIP phone you are on, e.g. 1001.");
    return;
  }
  const body = { pin, device, takeover: $("takeover").checked, session: true };
  const login = await act("POST", `${path}/login`, body);
  if (!login.ok) {
    stopPhone();
    signInError(login.text || `sign-in failed (${login.status})`);
    return;
  }
  $("pin").value = "";
  await openDesk();
}

async function startPhone(config) {
  stopPhone();
  const phone = new Softphone(config, {
    status: phoneStatus,
    ringing: () => draw(),
    connected: () => draw(),
    ended: (why) => { if (why && why !== "Terminated" && why !== "Canceled") say("call-outcome", `Call ended: ${why}`, true); draw(); },
  });
  desk.phone = phone;
  window.softphone = phone; // for the tests' getStats (and a curious agent's console)
  await phone.start();
}

function stopPhone() {
  if (desk.phone) desk.phone.stop();
  desk.phone = null;
}

// The desk ---------------------------------------------------------------------------------

async function openDesk() {
  const who = await act("GET", "/api/v1/session");
  if (!who.ok || who.answer.role !== "agent") { show("signin"); return; }
  desk.me = who.answer;
  const queues = await act("GET", "/api/v1/queues");
  desk.queues = queues.ok ? queues.answer.queues.map((q) => q.queue) : [];
  const reasons = await act("GET", "/api/v1/reasons");
  desk.reasons = new Map((reasons.ok ? reasons.answer.reasons : []).map((r) => [r.code, r]));
  for (const id of ["reason", "not-ready"]) $(id).hidden = !desk.reasons.size; // none configured
  document.querySelector('label[for="reason"]').hidden = !desk.reasons.size;
  $("reason").replaceChildren(...[...desk.reasons.values()].map((r) => new Option(r.label || r.code, r.code)));
  if (!desk.phone) await reRegister();
  show("desk");
  await listDevices();
  connect();
  await figures();
}

// My day: the agent's figures over the centre's today (GET /api/v1/session's `today`),
// read again after each call.
async function figures() {
  const day = desk.me && desk.me.today;
  if (!day) return;
  const range = `since=${day.since}&until=${day.until}`;
  const read = await act("GET", `${agentPath("figures")}?${range}`);
  if (!read.ok) return;
  const f = read.answer.figures;
  const handled = f.calls_answered ? (f.talk_seconds + f.wrap_up_seconds) / f.calls_answered : null;
  setText($("today-calls"), f.calls_answered);
  setText($("today-aht"), handled === null ? "–" : clock(handled));
  setText($("today-csat"), f.survey_average === null ? "–" : `${f.survey_average.toFixed(1)} of 5 (${f.survey_count})`);
  setText($("today-misses"), (f.offers && f.offers.no_answer) || 0);
}

async function reRegister() { // a reloaded page: the softphone its login is on, if any
  const own = await act("GET", `/api/v1/agents/${encodeURIComponent(desk.me.agent)}/softphone`);
  if (!own.ok) { phoneStatus(`SIP phone ${desk.me.device || ""}`.trim(), true); return; }
  await startPhone(own.answer.softphone).catch(() => {}); // the status bar says why
}

async function listDevices() {
  const found = await navigator.mediaDevices.enumerateDevices().catch(() => []);
  const options = (kind) => found.filter((d) => d.kind === kind)
    .map((d, n) => new Option(d.label || `${kind === "audioinput" ? "Microphone" : "Speaker"} ${n + 1}`, d.deviceId));
  $("mic").replaceChildren(...options("audioinput"));
  $("speaker").replaceChildren(...options("audiooutput"));
  $("audio").hidden = !desk.phone;
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/api/v1/events`);
  socket.onopen = () => { desk.retry = 1; link("live", true); };
  socket.onmessage = (event) => take(JSON.parse(event.data));
  socket.onclose = (event) => {
    if (event.code === 4001) { ended("Your login ended (logged out, or taken over from another desk)."); return; }
    link(`live connection lost: reconnecting in ${desk.retry} s`, false);
    setTimeout(connect, desk.retry * 1000);
    desk.retry = Math.min(desk.retry * 2, 30);
  };
}

function link(text, ok) {
  setText($("link"), text);
  setClass($("link"), ok ? "link ok" : "link down");
}

function ended(why) {
  stopPhone();
  show("signin");
  signInError(why);
}

async function take(message) {
  if (typeof message.at === "number") desk.offset = message.at - Date.now() / 1000;
  if (message.type === "snapshot") {
    desk.agent = message.agent;
  } else if (message.type === "offer") {
    desk.pop = message; // the screen pop (C7): shown while this call is the agent's
  } else if (message.type === "finding") { // the server's judgement (hub rule 2), made now
    desk.offset = message.finding.at - Date.now() / 1000;
    say("status-outcome", finding(message), false);
  } else if (message.type === "agent_changed") {
    const before = desk.agent;
    const now = await act("GET", `/api/v1/agents/${encodeURIComponent(desk.me.agent)}`);
    if (now.ok) desk.agent = now.answer.agent;
    if (before && desk.agent && before.state !== desk.agent.state) say("status-outcome", "", true);
    const after = desk.agent && desk.agent.state;
    if (before && ((before.state === "wrap_up" && after !== "wrap_up") || (before.state === "offered" && after === "not_ready"))) {
      setTimeout(figures, HISTORY_S * 1000); // once the call's record is written
    }
    missed(before, desk.agent);
  } else {
    return;
  }
  draw();
}

function finding(f) {
  const what = {
    "P5.not_ready_overrun": "not ready longer than the reason allows",
    "C3.ring_limit": "a call not answered within the queue's rings",
    "C4.wrap_up_overrun": "wrap-up ended by the queue's maximum",
    "P2.agent_released_first": "you hung up before the caller",
  };
  return `Noted for your supervisor: ${what[f.finding.rule] || f.finding.rule}.`;
}

function missed(before, after) { // C3: the offer withdrawn after N rings, and why
  if (before && before.state === "offered" && after && after.state === "not_ready") {
    say("call-outcome", `The call went to another agent: not answered within the queue's rings. You are not ready (${after.reason || "no answer"}).`, false);
  }
}

// Drawing ----------------------------------------------------------------------------------

function draw() {
  const a = desk.agent;
  if (!a) return;
  setText($("who"), `${a.agent}${a.name ? ` · ${a.name}` : ""}`);
  const state = $("state");
  setClass(state, `state ${a.state}`);
  setText(state.querySelector(".badge"), `${STATE_TEXT[a.state] || a.state}${a.reason ? ` (${a.reason})` : ""}`);
  $("ready").disabled = a.state !== "not_ready"; // wrap-up ends with "done", a call with its end
  $("not-ready").disabled = !["available", "not_ready"].includes(a.state) || !desk.reasons.size;
  drawCall(a);
  drawWrapUp(a);
  drawMove(a);
  drawOutbound(a);
  $("promise").hidden = !(a.call && ["on_call", "wrap_up"].includes(a.state));
  tick();
}

// An outbound call's contact (P25): the campaign's script and the fields it shows; a
// previewed contact is dialled or skipped by the agent. With no contact and no call, the
// running preview campaigns of the agent's queues offer their next contact.
function drawOutbound(a) {
  const out = a.outbound;
  const previews = !out && !a.call && a.state !== "logged_out" ? a.previews || [] : [];
  $("outbound").hidden = !out && !previews.length;
  $("out-next").hidden = !previews.length;
  $("out-contact").hidden = !out;
  const campaigns = $("out-campaigns");
  if (previews.join() !== [...campaigns.options].map((o) => o.value).join()) {
    const chosen = campaigns.value;
    campaigns.replaceChildren(...previews.map((id) => new Option(id, id, false, id === chosen)));
  }
  if (!out) return;
  setText($("out-number"), out.number);
  setText($("out-campaign"), `Campaign ${out.campaign}${out.preview ? " · preview: dial or skip this contact" : ""}`);
  $("out-fields").replaceChildren(...Object.entries(out.fields || {}).flatMap(([name, value]) => {
    const dt = document.createElement("dt");
    dt.textContent = name;
    const dd = document.createElement("dd");
    dd.textContent = value;
    return [dt, dd];
  }));
  setText($("out-script"), out.script || "–");
  $("out-preview").hidden = !out.preview;
}

// Wrap-up (C4): the queue's dispositions, one required when the queue says so, the time
// left before the queue's maximum ends it, and "Done".
function drawWrapUp(a) {
  const wrap = a.state === "wrap_up" ? a.wrap_up : null;
  $("wrap").hidden = !wrap;
  if (!wrap) { desk.codes = null; return; }
  const key = `${wrap.queue}|${wrap.dispositions.join(",")}`;
  if (desk.codes !== key) { // a new wrap-up: its queue's codes, none chosen
    desk.codes = key;
    $("wrap-codes").replaceChildren(legend(wrap), ...wrap.dispositions.map(codeChoice));
    $("wrap-codes").hidden = !wrap.dispositions.length;
    say("wrap-outcome", "", true);
  }
  $("wrap-done").disabled = wrap.required && !chosenCode();
}

function legend(wrap) {
  const shown = document.createElement("legend");
  shown.textContent = wrap.required ? "Disposition (required)" : "Disposition";
  return shown;
}

function codeChoice(code) {
  const label = document.createElement("label");
  label.className = "choice";
  const input = document.createElement("input");
  Object.assign(input, { type: "radio", name: "disposition", value: code });
  input.addEventListener("change", () => draw());
  label.append(input, ` ${code}`);
  return label;
}

function chosenCode() {
  const chosen = document.querySelector('input[name="disposition"]:checked');
  return chosen ? chosen.value : null;
}

// Transfers (P8) and the survey (P7), while on a call.
function drawMove(a) {
  const talking = a.state === "on_call" && a.call;
  $("move").hidden = !talking;
  if (!talking) return;
  const queues = $("to-queue");
  if (!queues.options.length) queues.replaceChildren(...(desk.queues || []).map((q) => new Option(q, q)));
  const consult = a.call.consult;
  const mine = consult && consult.by === a.agent;
  $("consult").disabled = Boolean(consult);
  $("consult-complete").disabled = !(mine && consult.answered);
  $("consult-cancel").disabled = !mine;
  setText($("consult-state"), !consult ? "" : mine
    ? (consult.answered ? `Talking with ${consult.agent}: complete, or take the caller back.` : `Ringing ${consult.agent}; the caller is on hold.`)
    : `${consult.by} is consulting you about this call.`);
}

function idleText(a) { // what the call card says with no call
  if (a.outbound && a.outbound.preview) return "Previewing a contact: dial it or skip it.";
  if (a.state === "reserved") return "Reserved for an outbound call: the customer is being dialled.";
  if (a.state === "available") return "No call. You are ready: the next one rings here.";
  return "No call. Go ready to take one.";
}

function drawCall(a) {
  const pop = desk.pop && a.call && a.call.call_id === desk.pop.call_id ? desk.pop : null;
  const live = a.call && ["offered", "on_call", "wrap_up"].includes(a.state);
  $("pop").hidden = !(pop || live);
  $("no-call").hidden = Boolean(pop || live);
  setText($("no-call"), idleText(a));
  if (pop || live) {
    const caller = (pop && pop.caller) || (a.call && a.call.caller) || "unknown number";
    setText($("pop-caller"), caller);
    setText($("pop-queue"), (pop && pop.queue) || a.call.queue || "–");
    setText($("pop-priority"), pop && pop.priority ? `▲ ${pop.priority} (urgent)` : "normal");
    $("pop-history-title").hidden = !pop;
    if (pop) drawHistory(pop.previous_calls); else { $("pop-history").replaceChildren(); $("pop-no-history").hidden = true; }
  }
  const phone = desk.phone;
  $("answer").disabled = !(phone && phone.ringing);
  $("answer").textContent = phone ? "Answer" : "Answer on your phone";
  $("hangup").disabled = !(a.state === "on_call" || (phone && (phone.ringing || phone.talking)));
  for (const [id, on] of [["mute", phone && phone.muted], ["hold", phone && phone.held]]) {
    $(id).disabled = !(phone && phone.talking);
    $(id).setAttribute("aria-pressed", String(Boolean(on)));
  }
  $("keypad").hidden = !(phone && phone.talking);
}

function drawHistory(calls) {
  const list = $("pop-history");
  list.replaceChildren();
  for (const c of calls || []) {
    const item = document.createElement("li");
    const when = new Date(c.entered_at * 1000).toLocaleString("en-GB", { dateStyle: "short", timeStyle: "short" });
    const outcome = c.answered ? "answered" : c.abandoned ? "abandoned" : "not answered";
    const who = c.agents && c.agents.length ? ` by ${c.agents.join(", ")}` : "";
    const code = c.disposition ? ` · ${c.disposition}` : "";
    item.textContent = `${when} · ${c.queue || "–"} · ${outcome}${who}${code}`;
    list.append(item);
  }
  $("pop-no-history").hidden = Boolean(calls && calls.length);
  setText($("pop-no-history"), calls === null ? "The caller's history could not be read." : "None.");
}

function tick() { // times from the server's instants, on the server's clock
  const a = desk.agent;
  if (!a) return;
  const now = serverNow();
  setText($("state-clock"), a.since && a.state !== "logged_out" ? clock(now - a.since) : "");
  const wrap = a.state === "wrap_up" && a.wrap_up ? a.wrap_up : null;
  setText($("wrap-left"), wrap && wrap.ends_at ? `${clock(wrap.ends_at - now)} left before the queue ends it (C4)` : "");
  const reason = a.state === "not_ready" ? desk.reasons.get(a.status && a.status.reason) : null;
  const left = reason && reason.max_seconds ? reason.max_seconds - (now - a.since) : null;
  setText($("limit"), left === null ? "" : left >= 0
    ? `${clock(left)} left of ${clock(reason.max_seconds)} for ${reason.label || reason.code} (P5)`
    : `Over the ${clock(reason.max_seconds)} limit of ${reason.label || reason.code} by ${clock(-left)}: a supervisor sees it`);
  setClass($("limit"), left !== null && left < 0 ? "limit over" : "limit");
  const pop = desk.pop;
  const ringing = a.state === "offered" && pop && a.call && a.call.call_id === pop.call_id;
  $("pop-rings-label").hidden = $("pop-rings").hidden = !ringing;
  if (ringing) setText($("pop-rings"), clock(now - pop.offered_at));
  setText($("pop-waited"), pop ? clock(pop.waited_seconds) : a.call ? clock(a.call.waited_seconds) : "–");
  setText($("pop-talk"), a.state === "on_call" ? clock(now - a.since) : "–");
}

// Controls ---------------------------------------------------------------------------------

function agentPath(what) { return `/api/v1/agents/${encodeURIComponent(desk.me.agent)}/${what}`; }

async function status(label, what, body) {
  const done = await act("POST", agentPath(what), body);
  say("status-outcome", done.ok ? "" : `${label}: ${done.text}`, done.ok);
}

async function signOut() {
  if (desk.me && desk.agent && desk.agent.state !== "logged_out") await act("POST", agentPath("logout"), {});
  await act("DELETE", "/api/v1/session");
  stopPhone();
  location.reload();
}

function setUp() {
  $("signin").addEventListener("submit", signIn);
  for (const id of ["use-softphone", "use-device"]) {
    $(id).addEventListener("change", () => { $("device").disabled = $("use-softphone").checked; });
  }
  $("ready").addEventListener("click", () => status("Ready", "ready", {}));
  $("not-ready").addEventListener("click", () => status("Not ready", "not-ready", { reason: $("reason").value }));
  $("signout").addEventListener("click", signOut);
  $("answer").addEventListener("click", () => { if (desk.phone) desk.phone.answer(); });
  $("hangup").addEventListener("click", async () => {
    if (desk.phone && (desk.phone.ringing || desk.phone.talking)) { desk.phone.hangUp(); return; }
    const done = await act("POST", agentPath("hangup"), {});
    if (!done.ok) say("call-outcome", `Hang up: ${done.text}`, false);
  });
  $("mute").addEventListener("click", () => { desk.phone.mute(!desk.phone.muted); draw(); });
  $("hold").addEventListener("click", () => { desk.phone.hold(!desk.phone.held); draw(); });
  $("keypad").replaceChildren(...KEYS.map((key) => {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = key;
    button.setAttribute("aria-label", `Key ${key}`);
    button.addEventListener("click", () => desk.phone && desk.phone.dtmf(key));
    return button;
  }));
  $("wrap-done").addEventListener("click", async () => {
    const code = chosenCode();
    const done = await act("POST", agentPath("wrap-up/end"), code ? { disposition: code } : {});
    say("wrap-outcome", done.ok ? "" : `Done: ${done.text}`, done.ok);
  });
  const move = async (label, path, body) => {
    const done = await act("POST", agentPath(path), body);
    say("move-outcome", done.ok ? `${label}: done` : `${label}: ${done.text}`, done.ok);
  };
  $("blind-queue").addEventListener("click", () => move("Transfer", "transfer", { queue: $("to-queue").value }));
  $("blind-extension").addEventListener("click", () =>
    move("Transfer", "transfer", { extension: $("to-extension").value.trim() }));
  $("consult").addEventListener("click", () => move("Consult", "consult", { agent: $("to-agent").value.trim() }));
  $("consult-complete").addEventListener("click", () => move("Transfer", "consult/complete", {}));
  $("consult-cancel").addEventListener("click", () => move("Caller taken back", "consult/cancel", {}));
  $("survey").addEventListener("click", () => move("Survey", "transfer", { survey: true }));
  $("promise-send").addEventListener("click", async () => {
    const when = $("promise-at").value; // the browser's local time, sent with its offset
    if (!when) { say("promise-outcome", "Say when to call back.", false); return; }
    const call = desk.agent && desk.agent.call;
    const body = {
      number: call ? call.caller : "", at: new Date(when).getTime() / 1000, to: $("promise-to").value,
      ...($("promise-note").value.trim() ? { note: $("promise-note").value.trim() } : {}),
    };
    const done = await act("POST", agentPath("callbacks"), body);
    say("promise-outcome", done.ok ? `Callback promised for ${new Date(when).toLocaleString("en-GB")}` : `Promise: ${done.text}`, done.ok);
  });
  $("out-take").addEventListener("click", async () => {
    const done = await act("POST", agentPath("preview"), { campaign: $("out-campaigns").value });
    say("out-outcome", done.ok ? "" : `Next contact: ${done.text}`, done.ok);
    if (done.ok && done.answer.agent) { desk.agent = done.answer.agent; draw(); }
  });
  $("out-dial").addEventListener("click", async () => {
    const done = await act("POST", agentPath("preview/dial"), {});
    say("out-outcome", done.ok ? "Dialling…" : `Dial: ${done.text}`, done.ok);
  });
  $("out-skip").addEventListener("click", async () => {
    const done = await act("POST", agentPath("preview/skip"), {});
    say("out-outcome", done.ok ? "Skipped" : `Skip: ${done.text}`, done.ok);
  });
  $("mic").addEventListener("change", () => { if (desk.phone) desk.phone.input = $("mic").value; });
  $("speaker").addEventListener("change", () => desk.phone && desk.phone.speaker($("speaker").value));
  window.addEventListener("pagehide", () => stopPhone()); // unregister: no ringing a closed page
  setInterval(tick, 1000);
}

async function main() {
  setUp();
  const who = await act("GET", "/api/v1/session");
  if (who.ok && who.answer.role === "agent") { await openDesk(); return; }
  show("signin");
  if (who.ok) signInError(`Signed in as ${who.answer.name} (${who.answer.role}): the wallboard is at /.`);
}

main();
