// Sign-in page: POST /api/v1/session; the session comes back as an HttpOnly cookie.
const form = document.getElementById("signin");
const error = document.getElementById("error");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.textContent = "";
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    const response = await fetch("/api/v1/session", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name: form.name.value.trim(), password: form.password.value }),
    });
    if (response.ok) {
      location.assign("/");
      return;
    }
    const answer = await response.json().catch(() => ({}));
    error.textContent = answer.error || `sign-in failed (${response.status})`;
    form.password.select();
  } catch (failure) {
    error.textContent = "the server cannot be reached: try again in a moment";
  } finally {
    button.disabled = false;
  }
});
