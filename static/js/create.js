// New sessions and workspaces from the sidebar: a terminal or a Claude session (with its permission
// mode) in the workspace chosen beside the buttons, a fresh folder, or a new name; an empty workspace.

import { api } from "./api.js";
import { state, MAX_PANES, WORKSPACE_NAME, NAMED, narrow } from "./state.js";
import { layoutFor } from "./layout.js";
import { renderSidebar, renderWorkspaceSelect, refreshWorkspaces } from "./sidebar.js";
import { $ } from "./dom.js";

let actions = null;

/** actions: {openPane(id)} */
export function initCreate(createActions) {
  actions = createActions;
}

export function newTerminal() {
  return newSession("pty");
}

export function newClaude() {
  return newSession("claude", { permissionMode: $("#claude-mode").value });
}

/** Starts a session in the workspace chosen beside the buttons (or a fresh one) and opens its pane. */
async function newSession(kind, options) {
  const noun = kind === "claude" ? "Claude" : "the terminal";
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
  const button = $(kind === "claude" ? "#new-claude" : "#new-terminal");
  button.disabled = true;
  message.textContent = "Starting…";
  const { cols, rows } = estimateSize();
  const request = { type: "create", kind, cols, rows };
  if (workspace) request.workspace = workspace;
  if (options) request.options = options;
  try {
    const reply = await state.conn.request(request);
    if (!reply.ok) {
      message.dataset.kind = "error";
      message.textContent = reply.error || `The server could not start ${noun}.`;
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
    actions.openPane(reply.runId);
  } catch (error) {
    message.dataset.kind = "error";
    message.textContent = `Could not start ${noun}: ${error.message === "timeout" ? "no answer from the server" : "the connection dropped"}.`;
  } finally {
    button.disabled = false;
  }
}

export async function createWorkspace() {
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
  message.textContent = `Workspace ${name} created: new sessions go there.`;
  refreshWorkspaces();
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
