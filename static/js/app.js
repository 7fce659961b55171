// Dispatch in the browser: the connection, the sessions and the open panes (terminal or Claude), deep
// links (#/session/{id}) and the wiring. The parts: login.js, sidebar.js (the session list), create.js
// (new sessions and workspaces), layout.js (grid, tabs, phone drawer), keys.js (shortcuts, extra keys).

import { api, checkAuth, logout, Connection } from "./api.js";
import { TerminalPane } from "./pane.js";
import { ClaudePane } from "./claude-pane.js";
import { state, MAX_PANES, NAMED, narrow } from "./state.js";
import { showLogin, wireLogin } from "./login.js";
import { initSidebar, renderSidebar, refreshWorkspaces, refreshWorkspacesSoon } from "./sidebar.js";
import { initLayout, layoutFor, updateLayout, renderTabs, setSidebarOpen } from "./layout.js";
import { initCreate, newTerminal, newClaude, createWorkspace } from "./create.js";
import { isShortcut, transformInput, extraKey } from "./keys.js";
import { initClaudeSignin, refreshClaudeSignin, stopClaudeSignin } from "./claude-signin.js";
import { el, $ } from "./dom.js";
import { showPublicURL } from "./public-url.js";

const OPEN_PANES_KEY = "dispatch.openPanes";

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
  state.waiting.clear();
  state.recent = [];
  state.active = null;
  state.sessions.clear();
  state.extraWorkspaces.clear();
  state.serverWorkspaces = [];
  sessionStorage.removeItem(OPEN_PANES_KEY);
  history.replaceState(null, "", location.pathname);
  clearInterval(state.offlineTimer);
  stopClaudeSignin();
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
  refreshClaudeSignin();
  requestList();
  for (const pane of state.panes.values()) pane.attach();
}

function requestList() {
  if (!state.conn || !state.conn.isOpen) return; // (the next connect lists)
  state.conn.request({ type: "list" })
    .then((reply) => { if (reply.ok) setSessions(reply.sessions || []); })
    .catch(() => {});
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
    case "sessions-listed": // the keepalive's own list: the sessions only, no workspace request every 20 s
      setSessions(message.sessions || []);
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
  for (const pane of state.panes.values()) {
    const session = state.sessions.get(pane.id);
    if (session) pane.update(session);
  }
  const waiting = [...state.waiting.entries()];
  state.waiting.clear();
  for (const [id, { focus, restored }] of waiting) {
    if (state.sessions.has(id)) openPane(id, { focus });
    else if (!restored) showBanner(`There is no session ${id}.`); // (a restored pane gone since the last visit is dropped quietly)
  }
  renderSidebar();
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

function openPane(id, { focus = true, restored = false } = {}) {
  if (!state.loggedIn) return;
  if (state.panes.has(id)) {
    if (focus) activate(id);
    return;
  }
  const session = state.sessions.get(id);
  if (!session) {
    // Its kind decides the pane: wait for the list (asked again when the session is newer than it).
    state.waiting.set(id, { focus, restored });
    saveOpenPanes();
    if (state.listed) requestList();
    return;
  }
  if (state.panes.size >= MAX_PANES) {
    const oldest = state.recent.find((paneId) => paneId !== state.active) || state.recent[0];
    if (oldest) closePane(oldest, { keepFocus: true });
  }
  const Pane = session.kind === "claude" ? ClaudePane : TerminalPane;
  const pane = new Pane({
    id,
    conn: state.conn,
    lib: state.lib,
    session,
    hooks: {
      onFocus: (p) => { if (state.active !== p.id) activate(p.id, { focusTerminal: false }); },
      onClose: (p) => closePane(p.id),
      onEnd: (p) => endSession(p.id),
      onRename: renameSession,
      onGone: (p) => {
        // Gone before anything was shown (deleted since the list): say so and close it.
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

function saveOpenPanes() {
  try {
    sessionStorage.setItem(OPEN_PANES_KEY, JSON.stringify([...state.panes.keys(), ...state.waiting.keys()]));
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
    openPane(id, { focus: false, restored: true });
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

// MARK: keys

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
  wireLogin(enterApp);
  initSidebar({ openPane, endSession, removeSession, newTerminal });
  initLayout({ activate });
  initCreate({ openPane });
  initClaudeSignin();
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
      id: pane.id, kind: pane.kind, state: pane.state, cols: pane.cols, rows: pane.rows,
      lastSeq: pane.lastSeq, renderedSeq: pane.renderedSeq, active: pane.id === state.active,
    })),
    bufferText: (id) => { const pane = state.panes.get(id || state.active); return pane ? pane.bufferText() : null; },
    connection: () => (state.conn ? state.conn.state : "stopped"),
    dropConnection: () => { if (state.conn) state.conn.drop(); },
  });
}
