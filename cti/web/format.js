// How the pages write times, rates and threshold levels: one place, so the tiles, the
// tables and the panels say the same thing the same way.

export const STATE_TEXT = {
  available: "Ready", reserved: "Reserved", offered: "Ringing", on_call: "On call", wrap_up: "Wrap-up",
  not_ready: "Not ready", logged_out: "Logged out",
};

// Levels of the queue's thresholds (cti/domain/thresholds.py), said in words and with an
// icon as well as in colour; "ok" is left unsaid, so what needs a look stands out.
export const LEVEL_TEXT = { ok: "✓ ok", warn: "⚠ warn", alert: "✖ alert" };
export const LEVEL_RANK = { ok: 0, warn: 1, alert: 2 };

export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const mm = String(m).padStart(h ? 2 : 1, "0"), ss = String(r).padStart(2, "0");
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

export function percent(ratio) {
  return ratio === null || ratio === undefined ? "–" : `${(ratio * 100).toFixed(1).replace(/\.0$/, "")} %`;
}

export function duration(seconds) {
  return seconds === null || seconds === undefined ? "–" : clock(seconds);
}

export function flag(level, why) {
  const shown = document.createElement("span");
  shown.className = `flag ${level}`;
  shown.textContent = LEVEL_TEXT[level] || "";
  if (why) shown.title = why;
  return shown;
}

// Writes only what differs: an unchanged value costs the page no style or layout work.
export function setText(node, text) {
  const value = String(text);
  if (node.textContent !== value) node.textContent = value;
}

export function setClass(node, name) {
  if (node.className !== name) node.className = name;
}
