// The pages' calls to the API: signed by the session cookie, with the X-CTI-CSRF header
// every change needs (cti/api/auth.py rule 1a); the answer and its error in words.
const HEADERS = { "X-CTI-CSRF": "1", "Content-Type": "application/json" };

export async function act(method, path, body) {
  const response = await fetch(path, {
    method, headers: HEADERS, body: body === undefined ? undefined : JSON.stringify(body),
  }).catch(() => null);
  if (response === null) return { ok: false, status: 0, text: "the server cannot be reached", answer: {} };
  const answer = await response.json().catch(() => ({}));
  return { ok: response.ok, status: response.status, text: answer.error || "", answer };
}

export function say(id, text, ok) {
  const shown = document.getElementById(id);
  shown.textContent = text;
  shown.className = ok ? "outcome ok" : "outcome failed";
}
