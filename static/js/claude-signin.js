// Signing in to Claude from the sidebar: a status line ("Claude: signed in" / "not signed in") with
// Sign in / Sign out and, while a login runs, its steps: the sign-in link, a field for the code the
// callback page shows, progress, and the CLI's own words when it fails, with Try again. The gateway
// runs `claude setup-token` behind /api/claude/auth/*; no route returns the token, so none shows here.

import { api } from "./api.js";
import { state } from "./state.js";
import { $ } from "./dom.js";

const POLL_MS = 1000;
const IN_PROGRESS = new Set(["starting", "waiting_for_code"]);
const CLI_MISSING = /claude CLI not found/i;

let current = null; // the server's last status
let finished = false; // this page saw the login through: say so until Done
let generation = 0; // a status answer older than the latest action is dropped
let pollTimer = null;

export function initClaudeSignin() {
  $("#claude-signin-action").addEventListener("click", () => {
    if (current && current.state === "authenticated" && current.method === "oauth_token") signOut();
    else startLogin();
  });
  $("#claude-signin-retry").addEventListener("click", startLogin);
  $("#claude-signin-cancel").addEventListener("click", signOut);
  $("#claude-signin-done").addEventListener("click", () => {
    finished = false;
    render();
  });
  $("#claude-signin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sendCode();
  });
}

/** GET /api/claude/auth/status, shown; polled again while a login runs. */
export async function refreshClaudeSignin() {
  clearTimeout(pollTimer);
  const asked = generation;
  const result = await api("GET", "/api/claude/auth/status");
  if (asked !== generation || !state.loggedIn) return;
  if (result.ok && result.body) show(result.body);
  else note(`Cannot read the Claude sign-in status: ${errorOf(result)}`);
  schedulePoll();
}

export function stopClaudeSignin() {
  clearTimeout(pollTimer);
  generation += 1;
  current = null;
  finished = false;
  note("");
  render();
}

function schedulePoll() {
  clearTimeout(pollTimer);
  if (current && IN_PROGRESS.has(current.state) && state.loggedIn) pollTimer = setTimeout(refreshClaudeSignin, POLL_MS);
}

async function startLogin() {
  finished = false;
  $("#claude-signin-code").value = "";
  // (a refused start is in the status too, with the CLI's words: not said twice)
  await act("POST", "/api/claude/auth/start", undefined, { refusalInStatus: true });
}

async function signOut() {
  finished = false;
  await act("DELETE", "/api/claude/auth");
}

async function sendCode() {
  const field = $("#claude-signin-code");
  const code = field.value.trim();
  if (!code) {
    note("Paste the code from the sign-in page first.");
    field.focus();
    return;
  }
  if (await act("POST", "/api/claude/auth/code", { code })) field.value = "";
}

/** One change on the server; its answer is the new status (or the status is asked again after a refusal). */
async function act(method, path, body, { refusalInStatus = false } = {}) {
  generation += 1;
  clearTimeout(pollTimer);
  const asked = generation;
  setBusy(true);
  note("");
  const result = await api(method, path, body);
  setBusy(false);
  if (asked !== generation) return result.ok;
  if (!result.ok && !refusalInStatus) note(errorOf(result));
  if (result.ok && result.body && result.body.state) {
    show(result.body);
    schedulePoll();
  } else {
    await refreshClaudeSignin();
  }
  return result.ok;
}

function show(status) {
  if (current && IN_PROGRESS.has(current.state) && status.state === "authenticated") finished = true;
  current = status;
  render();
}

function note(text) {
  $("#claude-signin-note").textContent = text;
}

function setBusy(busy) {
  for (const id of ["#claude-signin-action", "#claude-signin-retry", "#claude-signin-cancel", "#claude-signin-submit"]) {
    $(id).disabled = busy;
  }
}

function render() {
  const status = current || { state: "unknown" };
  const error = typeof status.error === "string" ? status.error : "";
  const missing = status.state === "error" && CLI_MISSING.test(error);
  const waiting = status.state === "waiting_for_code";
  const checking = waiting && status.codeSent === true;
  const signedIn = status.state === "authenticated";
  $("#claude-signin").dataset.state = status.state;
  $("#claude-signin-status").textContent = lineText(status, missing);

  const action = $("#claude-signin-action");
  action.hidden = !(status.state === "none" || (signedIn && !finished));
  action.textContent = signedIn && status.method === "oauth_token" ? "Sign out" : "Sign in";
  action.title = signedIn && status.method === "oauth_token" ? "Forget the stored Claude token" : "Sign in with your Claude account";

  $("#claude-signin-panel").hidden = !(IN_PROGRESS.has(status.state) || status.state === "error" || (signedIn && finished));
  $("#claude-signin-step").textContent = stepText(status, checking);
  const link = $("#claude-signin-url");
  const url = waiting ? webAddress(status.url) : null;
  link.hidden = !url;
  if (url) link.href = url;
  else link.removeAttribute("href");
  $("#claude-signin-form").hidden = !waiting;
  $("#claude-signin-code").disabled = checking;
  $("#claude-signin-submit").disabled = checking;
  $("#claude-signin-error").textContent = status.state === "error" ? error || "The sign-in failed." : "";
  $("#claude-signin-hint").hidden = !missing;
  $("#claude-signin-retry").hidden = !(status.state === "error" || (waiting && !url));
  $("#claude-signin-cancel").hidden = !(IN_PROGRESS.has(status.state) || status.state === "error");
  $("#claude-signin-done").hidden = !(signedIn && finished);
}

function lineText(status, missing) {
  switch (status.state) {
    case "none": return "Claude: not signed in";
    case "starting": case "waiting_for_code": return "Claude: signing in…";
    case "authenticated": return status.method === "api_key" ? "Claude: API key" : "Claude: signed in";
    case "error": return missing ? "Claude: CLI not installed" : "Claude: sign-in failed";
    default: return "Claude: …";
  }
}

function stepText(status, checking) {
  if (status.state === "starting") return "Starting the Claude sign-in on the server…";
  if (checking) return "Checking the code…";
  if (status.state === "waiting_for_code") {
    return webAddress(status.url)
      ? "Open the sign-in page, sign in to Claude, then paste the code it shows here."
      : "The Claude CLI gave no usable sign-in address. Try again.";
  }
  if (status.state === "authenticated") return "Signed in. New Claude sessions use this account.";
  return "";
}

/** The sign-in URL when it is an http(s) address (anything else is never made a link). */
function webAddress(text) {
  if (typeof text !== "string") return null;
  try {
    const url = new URL(text);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

function errorOf(result) {
  return (result.body && result.body.error) || (result.status ? `the server answered ${result.status}` : "cannot reach the server");
}
