// The page's state, shared by its modules, and the names they agree on.

export const MAX_PANES = 4;
export const WORKSPACE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;
export const FRESH = "";
export const NAMED = ":named"; // never a workspace name (':' is not allowed in one)
export const FRESH_FOLDER = /^session-[0-9a-f]{8}$/; // the folder the gateway makes for a session without a workspace
export const narrow = window.matchMedia("(max-width: 760px)");

export const state = {
  sessions: new Map(), // id -> descriptor, from the server
  listed: false, // the first list has arrived since the last connect
  panes: new Map(), // id -> TerminalPane or ClaudePane, in display order
  waiting: new Map(), // id -> {focus, restored}: panes to open once the list says what kind they are
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
