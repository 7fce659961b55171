// The login page: the key field, clear messages for a wrong key and for rate limiting (with a
// countdown). Nothing is remembered but the HttpOnly cookie the server sets.

import { login } from "./api.js";
import { state } from "./state.js";
import { $ } from "./dom.js";

/** Wires the form; `onLoggedIn()` runs after a successful login. */
export function wireLogin(onLoggedIn) {
  $("#login-form").addEventListener("submit", (event) => submitLogin(event, onLoggedIn));
}

export function showLogin(message) {
  state.loggedIn = false;
  $("#app-view").hidden = true;
  $("#login-view").hidden = false;
  document.title = "Dispatch — sign in";
  const error = $("#login-error");
  error.textContent = message || "";
  error.dataset.kind = message ? "info" : "";
  const input = $("#terminal-key");
  input.value = "";
  input.focus();
}

let loginCountdown = null;

async function submitLogin(event, onLoggedIn) {
  event.preventDefault();
  const input = $("#terminal-key");
  const button = $("#login-submit");
  const error = $("#login-error");
  const key = input.value;
  if (!key) {
    error.textContent = "Enter the access key.";
    error.dataset.kind = "error";
    input.focus();
    return;
  }
  button.disabled = true;
  error.textContent = "";
  const result = await login(key);
  if (result.ok) {
    input.value = "";
    button.disabled = false;
    error.textContent = "";
    onLoggedIn();
    return;
  }
  error.dataset.kind = "error";
  if (result.status === 429) {
    let left = result.retryAfter;
    const tick = () => {
      if (left <= 0) {
        clearInterval(loginCountdown);
        loginCountdown = null;
        button.disabled = false;
        error.textContent = "You can try again now.";
        error.dataset.kind = "info";
        return;
      }
      error.textContent = `Too many failed attempts. Try again in ${left} s.`;
      left -= 1;
    };
    clearInterval(loginCountdown);
    tick();
    loginCountdown = setInterval(tick, 1000);
    return;
  }
  button.disabled = false;
  error.textContent = result.status === 401 ? "Wrong key. Check it and try again." : result.message;
  input.select();
}
