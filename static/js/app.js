// Dispatch in the browser: login, the session list (grouped by workspace, live status), terminal
// panes side by side on a wide screen and as tabs on a phone, deep links (#/session/{id}),
// keyboard shortcuts that leave the terminal's own keys alone, and an extra-keys bar for phones.

import { api, checkAuth, login, logout, Connection } from "./api.js";
import { TerminalPane, sessionLabel } from "./pane.js";
import { el, $ } from "./dom.js";
import { showPublicURL } from "./public-url.js";

const MAX_PANES = 4;
const OPEN_PANES_KEY = "dispatch.openPanes";
const WORKSPACE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;
const FRESH = "";
const NAMED = ":named"; // never a workspace name (':' is not allowed in one)
const FRESH_FOLDER = /^session-[0-9a-f]{8}$/; // the folder the gateway makes for a session without a workspace
const narrow = window.matchMedia("(max-width: 760px)");

const state = {
  sessions: new Map(), // id -> descriptor, from the server
  listed: false, // the first list has arrived since the last connect
  panes: new Map(), // id -> TerminalPane, in display order
  recent: [], // pane ids, most recently focused last
  active: null,
  lib: undefined, // the xterm.js module; null when it could not be loaded
  libPromise: null,
  conn: null,
  extraWorkspaces: new Set(), // named here before the server listed them
  serverWorkspaces: [], // GET /api/workspaces
  ctrlArmed: false,
  loggedIn: false,
  offlineTimer: null,
  layout: null,
};

wireControls();
boot();

async function boot() {
  let authenticated;
  try {
    authenticated = await checkAuth();
  } catch {
    $("#boot").textContent = "Cannot reach the Dispatch server. Retrying…";
    setTimeout(boot, 3000);
    return;
  }
  $("#boot").hidden = true;
  if (authenticated) enterApp();
  else showLogin("");
}

// MARK: login

function showLogin(message) {
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

async function submitLogin(event) {
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
    enterApp();
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

// MARK: the main view

async function enterApp() {
  state.loggedIn = true;
  $("#login-view").hidden = true;
  $("#app-view").hidden = false;
  document.title = "Dispatch";
  state.listed = false;
  renderSidebar();
  updateLayout();
  state.conn = new Connection({
    onState: connectionState,
    onOpen: connected,
    onMessage: received,
    onAuthLost: () => leaveApp("Your login has ended. Sign in again."),
  });
  state.conn.start();
  await loadLibrary();
  if (!state.loggedIn) return;
  restorePanes();
}

function leaveApp(message) {
  state.loggedIn = false;
  if (state.conn) state.conn.stop();
  state.conn = null;
  for (const pane of state.panes.values()) pane.dispose();
  state.panes.clear();
  state.recent = [];
  state.active = null;
  state.sessions.clear();
  state.extraWorkspaces.clear();
  state.serverWorkspaces = [];
  sessionStorage.removeItem(OPEN_PANES_KEY);
  history.replaceState(null, "", location.pathname);
  clearInterval(state.offlineTimer);
  showLogin(message);
}

async function loadLibrary() {
  if (!state.libPromise) {
    state.libPromise = (async () => {
      try {
        const module = await import("/vendor/xterm/index.js");
        if (!module.Terminal || !module.FitAddon) throw new Error("unexpected module");
        // The stylesheet only once the module is known to be there (no second error when it is not).
        const css = await new Promise((resolve) => {
          const link = el("link", { rel: "stylesheet", href: "/vendor/xterm/xterm.css" });
          link.addEventListener("load", () => resolve(true));
          link.addEventListener("error", () => resolve(false));
          document.head.append(link);
        });
        if (!css) throw new Error("xterm.css missing");
        return { Terminal: module.Terminal, FitAddon: module.FitAddon, WebLinksAddon: module.WebLinksAddon };
      } catch {
        showBanner("The terminal library is missing on the server: static/vendor/ has no xterm.js. "
          + "Run static/fetch-vendor.sh there, then reload this page.", { persistent: true });
        return null;
      }
    })();
  }
  state.lib = await state.libPromise;
  return state.lib;
}

// MARK: connection

function connectionState(connState, detail) {
  const badge = $("#conn-state");
  badge.dataset.state = connState;
  clearInterval(state.offlineTimer);
  if (connState === "open") {
    badge.textContent = "connected";
  } else if (connState === "offline") {
    const show = () => {
      const seconds = Math.max(0, Math.ceil(((detail && detail.retryAt) - Date.now()) / 1000));
      badge.textContent = seconds > 0 ? `offline · retry in ${seconds} s` : "reconnecting…";
    };
    show();
    state.offlineTimer = setInterval(show, 1000);
  } else if (connState === "stopped") {
    badge.textContent = "disconnected";
  } else {
    badge.textContent = "connecting…";
  }
  for (const pane of state.panes.values()) pane.setConnectionState(connState, detail);
}

function connected() {
  state.listed = false;
  refreshWorkspaces();
  showPublicURL();
  state.conn.request({ type: "list" })
    .then((reply) => { if (reply.ok) setSessions(reply.sessions || []); })
    .catch(() => {});
  for (const pane of state.panes.values()) pane.attach();
}

function received(message) {
  switch (message.type) {
    case "run:event": {
      const pane = state.panes.get(message.runId);
      if (pane) pane.event(message);
      break;
    }
    case "sessions-updated":
      setSessions(message.sessions || []);
      refreshWorkspacesSoon(); // a workspace created elsewhere is announced this way too
      break;
    case "error": {
      // A viewer the gateway detached (it fell too far behind): attach again from where it was.
      const pane = message.runId ? state.panes.get(message.runId) : null;
      if (pane && /detached/i.test(message.error || "")) {
        pane.detached();
        setTimeout(() => pane.attach(), 500);
      }
      break;
    }
    default:
      break;
  }
}

// MARK: sessions

function setSessions(list) {
  state.sessions = new Map(list.filter((s) => s && s.id).map((s) => [s.id, s]));
  state.listed = true;
  for (const pane of [...state.panes.values()]) {
    const session = state.sessions.get(pane.id);
    if (session) pane.update(session);
    else if (pane.restored) closePane(pane.id, { keepFocus: pane.id !== state.active }); // gone since the last visit
    pane.restored = false;
  }
  renderSidebar();
}

async function refreshWorkspaces() {
  const result = await api("GET", "/api/workspaces");
  if (!result.ok || !result.body || !Array.isArray(result.body.workspaces)) return;
  state.serverWorkspaces = result.body.workspaces.map((w) => w && w.name).filter((name) => typeof name === "string");
  renderSidebar();
}

let workspacesTimer = null;

function refreshWorkspacesSoon() {
  if (workspacesTimer) return;
  workspacesTimer = setTimeout(() => {
    workspacesTimer = null;
    if (state.loggedIn) refreshWorkspaces();
  }, 1000);
}

function workspaceNames() {
  const names = new Set([...state.extraWorkspaces, ...state.serverWorkspaces.filter((name) => !FRESH_FOLDER.test(name))]);
  for (const session of state.sessions.values()) if (session.workspace) names.add(session.workspace);
  return [...names].sort((a, b) => a.localeCompare(b));
}

let sidebarSignature = "";

function renderSidebar() {
  renderWorkspaceSelect();
  // Named workspaces are listed even without sessions; the folders of fresh ones only with them.
  const named = [...new Set([...state.serverWorkspaces, ...state.extraWorkspaces])].filter((name) => !FRESH_FOLDER.test(name));
  // Rebuilt only when something shown changed (a rebuild would reset a pending "End?" and the focus).
  const signature = JSON.stringify([
    state.listed, Boolean(state.conn && state.conn.isOpen), state.active, [...state.panes.keys()], named,
    [...state.sessions.values()].map((s) => [s.id, s.status, s.restarts, s.workspace, s.title, s.createdAt, s.kind]),
  ]);
  if (signature === sidebarSignature) return;
  sidebarSignature = signature;
  const list = $("#session-list");
  const groups = new Map(named.map((name) => [name, []]));
  for (const session of state.sessions.values()) {
    const key = session.workspace || "(no workspace)";
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(session);
  }
  const children = [];
  for (const name of [...groups.keys()].sort((a, b) => a.localeCompare(b))) {
    const sessions = groups.get(name).sort((a, b) => String(a.createdAt).localeCompare(String(b.createdAt)));
    const here = el("button", {
      type: "button", className: "small icon-button group-new", title: `New terminal in ${name}`,
      "aria-label": `New terminal in ${name}`, "data-testid": "new-terminal-here",
    }, "+");
    here.addEventListener("click", () => {
      renderWorkspaceSelect();
      $("#workspace-select").value = name;
      $("#workspace-name-row").hidden = true;
      newTerminal();
    });
    children.push(el("section", { className: "workspace-group", "data-workspace": name }, [
      el("h3", { className: "workspace-name", title: name }, [
        el("span", { className: "folder", "aria-hidden": "true" }, "▾"),
        el("span", { className: "workspace-label" }, name),
        el("span", { className: "count" }, String(sessions.length)),
        here,
      ]),
      sessions.length
        ? el("ul", { className: "sessions" }, sessions.map(sessionRow))
        : el("p", { className: "muted empty-group" }, "No sessions here yet."),
    ]));
  }
  if (children.length === 0) {
    children.push(el("p", { className: "muted empty-list" },
      state.conn && state.conn.isOpen && state.listed ? "No sessions yet. Start a terminal above." : "Loading sessions…"));
  }
  list.replaceChildren(...children);
}

function sessionRow(session) {
  const open = state.panes.has(session.id);
  const created = formatTime(session.createdAt);
  const openButton = el("button", {
    type: "button", className: "session-open", "data-testid": "session-item",
    title: `${session.workspace} — ${session.id}${session.meta && session.meta.cwd ? `\n${session.meta.cwd}` : ""}`,
  }, [
    el("span", { className: "dot", "data-status": session.status, "aria-hidden": "true" }),
    el("span", { className: "session-name" }, sessionLabel(session)),
    el("span", { className: "session-meta" }, `${session.status}${session.restarts ? ` · ${session.restarts} restart${session.restarts > 1 ? "s" : ""}` : ""}${created ? ` · ${created}` : ""}`),
  ]);
  openButton.addEventListener("click", () => openPane(session.id));
  const row = el("li", {
    className: `session-row${open ? " open" : ""}${state.active === session.id ? " active" : ""}`,
    "data-session-id": session.id, "data-status": session.status,
  }, [openButton]);
  const live = session.status === "running" || session.status === "starting";
  row.append(live
    ? confirmButton("End", "End this session (hang up its program)", "end-session", () => endSession(session.id))
    : confirmButton("Remove", "Delete this ended session and its history", "remove-session", () => removeSession(session.id)));
  return row;
}

/** A button that acts on a second click within 3 s (no dialog: it works the same on a phone). */
function confirmButton(label, title, testid, action) {
  const button = el("button", { type: "button", className: "session-end small danger-text", title, "data-testid": testid }, label);
  let armed = null;
  button.addEventListener("click", () => {
    if (armed) {
      clearTimeout(armed);
      armed = null;
      action();
      return;
    }
    button.textContent = `${label}?`;
    button.classList.add("armed");
    armed = setTimeout(() => {
      armed = null;
      button.textContent = label;
      button.classList.remove("armed");
    }, 3000);
  });
  return button;
}

async function removeSession(id) {
  const result = await api("DELETE", `/api/sessions/${encodeURIComponent(id)}`);
  if (!result.ok) {
    showBanner(`Could not remove the session: ${(result.body && result.body.error) || result.status}`);
    return;
  }
  closePane(id);
  state.sessions.delete(id);
  renderSidebar();
}

async function renameSession(pane, title) {
  if (!state.conn || !state.conn.isOpen) {
    pane.flash("not connected — not renamed");
    return;
  }
  try {
    const reply = await state.conn.request({ type: "rename", runId: pane.id, title });
    if (!reply.ok) pane.flash(reply.error || "not renamed");
  } catch {
    pane.flash("the connection dropped — not renamed");
  }
}

let workspaceSignature = null;

function renderWorkspaceSelect() {
  const select = $("#workspace-select");
  const previous = select.value;
  const names = workspaceNames();
  // Rebuilding the options would close the list under the user's finger: only when names change.
  if (workspaceSignature === names.join("/")) return;
  workspaceSignature = names.join("/");
  const options = [
    el("option", { value: FRESH }, "New workspace (fresh folder)"),
    el("option", { value: NAMED }, "New workspace named…"),
  ];
  if (names.length) {
    options.push(el("optgroup", { label: "Existing workspaces" }, names.map((name) => el("option", { value: name }, name))));
  }
  select.replaceChildren(...options);
  select.value = [FRESH, NAMED, ...names].includes(previous) ? previous : FRESH;
  $("#workspace-name-row").hidden = select.value !== NAMED;
}

function formatTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime()) || date.getTime() <= 0) return "";
  const sameDay = date.toDateString() === new Date().toDateString();
  return sameDay ? date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
    : date.toLocaleDateString([], { month: "short", day: "numeric" });
}

async function newTerminal() {
  const message = $("#new-session-msg");
  message.dataset.kind = "";
  const select = $("#workspace-select");
  let workspace = select.value;
  if (workspace === NAMED) {
    workspace = $("#workspace-name").value.trim();
    if (!WORKSPACE_NAME.test(workspace)) {
      message.dataset.kind = "error";
      message.textContent = "A workspace name is 1-64 letters, digits, '.', '_' or '-', not starting with '.'.";
      $("#workspace-name").focus();
      return;
    }
  }
  if (!state.conn || !state.conn.isOpen) {
    message.dataset.kind = "error";
    message.textContent = "Not connected to the server yet; try again in a moment.";
    return;
  }
  const button = $("#new-terminal");
  button.disabled = true;
  message.textContent = "Starting…";
  const { cols, rows } = estimateSize();
  const request = { type: "create", kind: "pty", cols, rows };
  if (workspace) request.workspace = workspace;
  try {
    const reply = await state.conn.request(request);
    if (!reply.ok) {
      message.dataset.kind = "error";
      message.textContent = reply.error || "The server could not start the terminal.";
      return;
    }
    message.textContent = "";
    if (reply.session) state.sessions.set(reply.runId, reply.session);
    if (workspace) {
      state.extraWorkspaces.add(workspace);
      $("#workspace-name").value = "";
      renderWorkspaceSelect();
      select.value = workspace;
      $("#workspace-name-row").hidden = true;
      refreshWorkspaces();
    }
    renderSidebar();
    openPane(reply.runId);
  } catch (error) {
    message.dataset.kind = "error";
    message.textContent = `Could not start the terminal: ${error.message === "timeout" ? "no answer from the server" : "the connection dropped"}.`;
  } finally {
    button.disabled = false;
  }
}

async function createWorkspace() {
  const message = $("#new-session-msg");
  const name = $("#workspace-name").value.trim();
  if (!WORKSPACE_NAME.test(name)) {
    message.dataset.kind = "error";
    message.textContent = "A workspace name is 1-64 letters, digits, '.', '_' or '-', not starting with '.'.";
    $("#workspace-name").focus();
    return;
  }
  const button = $("#create-workspace");
  button.disabled = true;
  const result = await api("POST", "/api/workspaces", { name });
  button.disabled = false;
  if (!result.ok) {
    message.dataset.kind = "error";
    message.textContent = `Could not create the workspace: ${(result.body && result.body.error) || result.status}`;
    return;
  }
  state.extraWorkspaces.add(name);
  $("#workspace-name").value = "";
  renderSidebar();
  $("#workspace-select").value = name;
  $("#workspace-name-row").hidden = true;
  message.dataset.kind = "info";
  message.textContent = `Workspace ${name} created: new terminals go there.`;
  refreshWorkspaces();
}

function newClaude() {
  const message = $("#new-session-msg");
  message.dataset.kind = "info";
  message.textContent = "Claude sessions are not available yet.";
}

/** The size a new terminal will most likely get, so its first prompt is drawn at the right width. */
function estimateSize() {
  const main = document.querySelector(".main");
  const width = main.clientWidth || window.innerWidth;
  const height = main.clientHeight || window.innerHeight;
  let cellWidth = narrow.matches ? 7.8 : 8.4;
  let cellHeight = narrow.matches ? 16 : 17;
  const sample = [...state.panes.values()].find((pane) => pane.term && pane.host.clientWidth > 0);
  if (sample) {
    cellWidth = sample.host.clientWidth / sample.cols;
    cellHeight = sample.host.clientHeight / sample.rows;
  }
  const layout = layoutFor(Math.min(MAX_PANES, state.panes.size + 1));
  const paneWidth = width / layout.columns;
  const paneHeight = height / layout.rows;
  const chrome = layout.tabbed ? (narrow.matches ? 120 : 76) : 40; // tabs, pane header, extra keys
  return {
    cols: Math.max(20, Math.min(500, Math.floor((paneWidth - 12) / cellWidth))),
    rows: Math.max(5, Math.min(200, Math.floor((paneHeight - chrome) / cellHeight))),
  };
}

async function endSession(id) {
  if (!state.conn || !state.conn.isOpen) {
    showBanner("Not connected to the server; the session was not ended.");
    return;
  }
  try {
    const reply = await state.conn.request({ type: "run:close", runId: id });
    if (!reply.ok) showBanner(`Could not end the session: ${reply.error || "unknown error"}`);
  } catch {
    showBanner("Could not end the session: the connection dropped.");
  }
}

// MARK: panes

function openPane(id, { focus = true } = {}) {
  if (!state.loggedIn) return;
  if (state.panes.has(id)) {
    if (focus) activate(id);
    return;
  }
  if (state.panes.size >= MAX_PANES) {
    const oldest = state.recent.find((paneId) => paneId !== state.active) || state.recent[0];
    if (oldest) closePane(oldest, { keepFocus: true });
  }
  const pane = new TerminalPane({
    id,
    conn: state.conn,
    lib: state.lib,
    session: state.sessions.get(id) || null,
    hooks: {
      onFocus: (p) => { if (state.active !== p.id) activate(p.id, { focusTerminal: false }); },
      onClose: (p) => closePane(p.id),
      onEnd: (p) => endSession(p.id),
      onRename: renameSession,
      onGone: (p) => {
        // Nothing was shown yet (a stale deep link or a restored pane): say so and close it.
        if (p.lastSeq === 0) {
          showBanner(`There is no session ${p.id}.`);
          closePane(p.id);
        }
      },
      transformInput,
      isShortcut,
      onChange: () => renderTabs(),
    },
  });
  state.panes.set(id, pane);
  state.recent.push(id);
  $("#panes").append(pane.element);
  pane.setConnectionState(state.conn.state);
  if (state.conn.isOpen) pane.attach();
  saveOpenPanes();
  if (focus || !state.active) activate(id);
  else updateLayout();
  if (narrow.matches) setSidebarOpen(false);
}

function closePane(id, { keepFocus = false } = {}) {
  const pane = state.panes.get(id);
  if (!pane) return;
  pane.dispose();
  state.panes.delete(id);
  state.recent = state.recent.filter((paneId) => paneId !== id);
  saveOpenPanes();
  if (state.active === id) {
    state.active = null;
    const next = state.recent[state.recent.length - 1];
    if (next && !keepFocus) activate(next);
    else if (next) state.active = next;
  }
  if (!state.active) history.replaceState(null, "", location.pathname);
  updateLayout();
  renderSidebar();
}

function activate(id, { focusTerminal = true } = {}) {
  const pane = state.panes.get(id);
  if (!pane) return;
  state.active = id;
  state.recent = state.recent.filter((paneId) => paneId !== id).concat(id);
  if (location.hash !== `#/session/${id}`) history.replaceState(null, "", `#/session/${id}`);
  updateLayout();
  renderSidebar();
  pane.scheduleFit();
  if (focusTerminal) pane.focus();
}

function cyclePane(step) {
  const ids = [...state.panes.keys()];
  if (ids.length === 0) return;
  const index = Math.max(0, ids.indexOf(state.active));
  activate(ids[(index + step + ids.length) % ids.length]);
}

const MIN_PANE_WIDTH = 460;
const MIN_PANE_HEIGHT = 260;

/** Side by side (a grid of up to MAX_PANES) when the screen has room for every open pane, else tabs. */
function layoutFor(count) {
  const main = document.querySelector(".main");
  const width = main.clientWidth || window.innerWidth;
  const height = (main.clientHeight || window.innerHeight) - 8;
  const maxColumns = Math.max(1, Math.floor(width / MIN_PANE_WIDTH));
  const maxRows = Math.max(1, Math.floor(height / MIN_PANE_HEIGHT));
  if (narrow.matches || count > maxColumns * maxRows) return { tabbed: true, columns: 1, rows: 1 };
  const columns = Math.max(1, Math.min(count, maxColumns));
  return { tabbed: false, columns, rows: Math.max(1, Math.ceil(count / columns)) };
}

function updateLayout() {
  const panes = $("#panes");
  const count = state.panes.size;
  const layout = layoutFor(count);
  state.layout = layout;
  panes.dataset.count = String(count);
  panes.style.setProperty("--pane-columns", String(layout.columns));
  panes.style.setProperty("--pane-rows", String(layout.rows));
  const spare = layout.columns * layout.rows - count; // the last pane takes the empty cells of its row
  let index = 0;
  for (const pane of state.panes.values()) {
    const active = pane.id === state.active;
    index += 1;
    pane.element.classList.toggle("active", active);
    pane.element.setAttribute("aria-hidden", layout.tabbed && !active ? "true" : "false");
    pane.element.style.gridColumn = !layout.tabbed && index === count && spare > 0 ? `span ${spare + 1}` : "";
  }
  $("#empty").hidden = count > 0;
  const view = $("#app-view");
  view.classList.toggle("has-panes", count > 0);
  view.classList.toggle("tabbed", layout.tabbed && count > 0);
  if (narrow.matches && count === 0) setSidebarOpen(true);
  renderTabs();
  for (const pane of state.panes.values()) pane.scheduleFit();
}

function renderTabs() {
  const tabs = $("#pane-tabs");
  const children = [];
  for (const pane of state.panes.values()) {
    const session = pane.session;
    const selected = pane.id === state.active;
    const tab = el("button", {
      type: "button", role: "tab", className: "tab", "aria-selected": selected ? "true" : "false",
      "data-session-id": pane.id, "data-testid": "pane-tab",
      title: session ? `${session.workspace} — ${pane.id}` : pane.id,
    }, [
      el("span", { className: "dot", "data-status": session ? session.status : "unknown", "data-state": pane.state, "aria-hidden": "true" }),
      el("span", { className: "tab-name" }, tabLabel(pane)),
    ]);
    tab.addEventListener("click", () => activate(pane.id));
    children.push(tab);
  }
  tabs.replaceChildren(...children);
  const selected = tabs.querySelector('[aria-selected="true"]');
  if (selected) {
    // Keep the selected tab in view (the strip scrolls sideways on a phone).
    const left = selected.offsetLeft;
    if (left < tabs.scrollLeft) tabs.scrollLeft = left;
    else if (left + selected.offsetWidth > tabs.scrollLeft + tabs.clientWidth) tabs.scrollLeft = left + selected.offsetWidth - tabs.clientWidth;
  }
}

/** A fresh workspace is named after its session: then the short id alone says enough. */
function tabLabel(pane) {
  const session = pane.session;
  const short = pane.id.slice(0, 6);
  if (session && session.title && session.title !== session.workspace) return session.title;
  const workspace = session && session.workspace;
  return workspace && !FRESH_FOLDER.test(workspace) ? `${workspace} · ${short.slice(0, 4)}` : short;
}

function saveOpenPanes() {
  try {
    sessionStorage.setItem(OPEN_PANES_KEY, JSON.stringify([...state.panes.keys()]));
  } catch { /* storage refused: only the deep link survives a reload */ }
}

function restorePanes() {
  let ids = [];
  try {
    ids = JSON.parse(sessionStorage.getItem(OPEN_PANES_KEY) || "[]").filter((id) => typeof id === "string");
  } catch { ids = []; }
  const linked = deepLinkedSession();
  for (const id of ids) {
    if (id === linked || (state.listed && !state.sessions.has(id))) continue;
    openPane(id, { focus: false });
    const pane = state.panes.get(id);
    if (pane) pane.restored = true;
  }
  if (linked) openPane(linked);
  updateLayout();
}

function deepLinkedSession() {
  const match = /^#\/session\/([A-Za-z0-9_-]{1,128})$/.exec(location.hash);
  return match ? match[1] : null;
}

function hashChanged() {
  if (!state.loggedIn) return;
  const id = deepLinkedSession();
  if (id && id !== state.active) {
    openPane(id);
  }
}

// MARK: sidebar (a drawer on a phone)

function setSidebarOpen(open) {
  const wantOpen = open || (narrow.matches && state.panes.size === 0);
  $("#app-view").classList.toggle("sidebar-open", wantOpen);
  $("#scrim").hidden = !(wantOpen && narrow.matches && state.panes.size > 0);
}

// MARK: keys

/** Alt+Shift+N new terminal, Alt+Shift+←/→ (or [ ]) previous/next pane, Alt+Shift+W close the pane. */
function isShortcut(event) {
  return event.type === "keydown" && event.altKey && event.shiftKey && !event.ctrlKey && !event.metaKey
    && ["KeyN", "KeyW", "ArrowLeft", "ArrowRight", "BracketLeft", "BracketRight"].includes(event.code);
}

function shortcut(event) {
  if (!state.loggedIn || !isShortcut(event)) return;
  event.preventDefault();
  event.stopPropagation();
  switch (event.code) {
    case "KeyN": newTerminal(); break;
    case "KeyW": if (state.active) closePane(state.active); break;
    case "ArrowLeft": case "BracketLeft": cyclePane(-1); break;
    default: cyclePane(1); break;
  }
}

/** The extra-keys bar's sticky Ctrl applies to the next key typed. */
function transformInput(data) {
  if (!state.ctrlArmed || data.length !== 1) return data;
  setCtrl(false);
  const code = data.toUpperCase().charCodeAt(0);
  if (code >= 64 && code <= 95) return String.fromCharCode(code - 64);
  if (data === " ") return "\u0000";
  if (data === "?") return "\u007f";
  return data;
}

function setCtrl(on) {
  state.ctrlArmed = on;
  const button = document.querySelector('#extra-keys [data-key="ctrl"]');
  button.setAttribute("aria-pressed", on ? "true" : "false");
}

function extraKey(key) {
  const pane = state.active && state.panes.get(state.active);
  if (!pane) return;
  const app = pane.term && pane.term.modes.applicationCursorKeysMode;
  const arrows = { up: "A", down: "B", right: "C", left: "D" };
  if (key === "ctrl") {
    setCtrl(!state.ctrlArmed);
  } else if (arrows[key]) {
    pane.input((app ? "\u001bO" : "\u001b[") + arrows[key]);
  } else if (key === "esc") {
    pane.input("\u001b");
  } else if (key === "tab") {
    pane.input("\t");
  } else if (key === "ctrl-c") {
    pane.input("\u0003");
  }
  if (key !== "ctrl") setCtrl(false);
  pane.focus();
}

// MARK: banner

let bannerTimer = null;

function showBanner(text, { persistent = false } = {}) {
  const banner = $("#banner");
  banner.textContent = text;
  banner.hidden = false;
  banner.dataset.persistent = persistent ? "true" : "false";
  clearTimeout(bannerTimer);
  if (!persistent) bannerTimer = setTimeout(() => { banner.hidden = true; }, 6000);
}

// MARK: wiring

function wireControls() {
  $("#login-form").addEventListener("submit", submitLogin);
  $("#new-terminal").addEventListener("click", newTerminal);
  $("#new-claude").addEventListener("click", newClaude);
  $("#empty-new-terminal").addEventListener("click", newTerminal);
  $("#workspace-select").addEventListener("change", () => {
    const named = $("#workspace-select").value === NAMED;
    $("#workspace-name-row").hidden = !named;
    if (named) $("#workspace-name").focus();
  });
  $("#workspace-name").addEventListener("keydown", (event) => {
    if (event.key === "Enter") newTerminal();
  });
  $("#create-workspace").addEventListener("click", createWorkspace);
  $("#logout").addEventListener("click", async () => {
    await logout();
    leaveApp("You are logged out.");
  });
  $("#open-sidebar").addEventListener("click", () => setSidebarOpen(!$("#app-view").classList.contains("sidebar-open")));
  $("#close-sidebar").addEventListener("click", () => setSidebarOpen(false));
  $("#scrim").addEventListener("click", () => setSidebarOpen(false));
  $("#banner").addEventListener("click", () => {
    if ($("#banner").dataset.persistent !== "true") $("#banner").hidden = true;
  });
  const keys = $("#extra-keys");
  // Keep the focus (and a phone's keyboard) in the terminal while a key of the bar is pressed.
  keys.addEventListener("pointerdown", (event) => { if (event.target.closest("button")) event.preventDefault(); });
  keys.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-key]");
    if (button) extraKey(button.dataset.key);
  });
  window.addEventListener("keydown", shortcut, true);
  window.addEventListener("hashchange", hashChanged);
  let layoutFrame = 0;
  window.addEventListener("resize", () => {
    cancelAnimationFrame(layoutFrame);
    layoutFrame = requestAnimationFrame(() => {
      if (!state.loggedIn) return;
      const before = state.layout;
      const after = layoutFor(state.panes.size);
      if (!before || before.tabbed !== after.tabbed || before.columns !== after.columns || before.rows !== after.rows) updateLayout();
    });
  });
  narrow.addEventListener("change", () => {
    setSidebarOpen(false);
    updateLayout();
  });

  // For automation and tests (and users' own scripts): read-only views plus a simulated network drop.
  window.dispatchUI = Object.freeze({
    sessions: () => [...state.sessions.values()],
    panes: () => [...state.panes.values()].map((pane) => ({
      id: pane.id, state: pane.state, cols: pane.cols, rows: pane.rows,
      lastSeq: pane.lastSeq, renderedSeq: pane.renderedSeq, active: pane.id === state.active,
    })),
    bufferText: (id) => { const pane = state.panes.get(id || state.active); return pane ? pane.bufferText() : null; },
    connection: () => (state.conn ? state.conn.state : "stopped"),
    dropConnection: () => { if (state.conn) state.conn.drop(); },
  });
}
