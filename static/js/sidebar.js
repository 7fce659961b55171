// The session list: sessions grouped by workspace with their live status, End / Remove with a
// second click (no dialog, the same on a phone), and the workspace choice beside the new buttons.

import { api } from "./api.js";
import { state, FRESH, NAMED, FRESH_FOLDER } from "./state.js";
import { sessionLabel } from "./session-pane.js";
import { el, $ } from "./dom.js";

let actions = null;

/** actions: {openPane(id), endSession(id), removeSession(id), newTerminal()} */
export function initSidebar(sidebarActions) {
  actions = sidebarActions;
}

export function workspaceNames() {
  const names = new Set([...state.extraWorkspaces, ...state.serverWorkspaces.filter((name) => !FRESH_FOLDER.test(name))]);
  for (const session of state.sessions.values()) if (session.workspace) names.add(session.workspace);
  return [...names].sort((a, b) => a.localeCompare(b));
}

let sidebarSignature = "";

export function renderSidebar() {
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
      actions.newTerminal();
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
      state.conn && state.conn.isOpen && state.listed ? "No sessions yet. Start a terminal or Claude above." : "Loading sessions…"));
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
  openButton.addEventListener("click", () => actions.openPane(session.id));
  const row = el("li", {
    className: `session-row${open ? " open" : ""}${state.active === session.id ? " active" : ""}`,
    "data-session-id": session.id, "data-status": session.status,
  }, [openButton]);
  const live = session.status === "running" || session.status === "starting";
  row.append(live
    ? confirmButton("End", "End this session (hang up its program)", "end-session", () => actions.endSession(session.id))
    : confirmButton("Remove", "Delete this ended session and its history", "remove-session", () => actions.removeSession(session.id)));
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

let workspaceSignature = null;

export function renderWorkspaceSelect() {
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

/** GET /api/workspaces (named ones show even without sessions). */
export async function refreshWorkspaces() {
  const result = await api("GET", "/api/workspaces");
  if (!result.ok || !result.body || !Array.isArray(result.body.workspaces)) return;
  state.serverWorkspaces = result.body.workspaces.map((w) => w && w.name).filter((name) => typeof name === "string");
  renderSidebar();
}

let workspacesTimer = null;

export function refreshWorkspacesSoon() {
  if (workspacesTimer) return;
  workspacesTimer = setTimeout(() => {
    workspacesTimer = null;
    if (state.loggedIn) refreshWorkspaces();
  }, 1000);
}
