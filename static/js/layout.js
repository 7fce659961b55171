// Where panes go: side by side (a grid of up to MAX_PANES) when the screen has room for every open
// pane, else one at a time with tabs (always on a phone, where the session list becomes a drawer).

import { state, FRESH_FOLDER, narrow } from "./state.js";
import { el, $ } from "./dom.js";

let actions = null;

/** actions: {activate(id)} */
export function initLayout(layoutActions) {
  actions = layoutActions;
}

const MIN_PANE_WIDTH = 460;
const MIN_PANE_HEIGHT = 260;

/** Side by side (a grid of up to MAX_PANES) when the screen has room for every open pane, else tabs. */
export function layoutFor(count) {
  const main = document.querySelector(".main");
  const width = main.clientWidth || window.innerWidth;
  const height = (main.clientHeight || window.innerHeight) - 8;
  const maxColumns = Math.max(1, Math.floor(width / MIN_PANE_WIDTH));
  const maxRows = Math.max(1, Math.floor(height / MIN_PANE_HEIGHT));
  if (narrow.matches || count > maxColumns * maxRows) return { tabbed: true, columns: 1, rows: 1 };
  const columns = Math.max(1, Math.min(count, maxColumns));
  return { tabbed: false, columns, rows: Math.max(1, Math.ceil(count / columns)) };
}

export function updateLayout() {
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
  const active = state.active && state.panes.get(state.active);
  view.classList.toggle("chat-active", Boolean(active && active.kind === "claude")); // (no extra keys for a chat)
  if (narrow.matches && count === 0) setSidebarOpen(true);
  renderTabs();
  for (const pane of state.panes.values()) pane.scheduleFit();
}

export function renderTabs() {
  const tabs = $("#pane-tabs");
  const children = [];
  for (const pane of state.panes.values()) {
    const session = pane.session;
    const selected = pane.id === state.active;
    const tab = el("button", {
      type: "button", role: "tab", className: "tab", "aria-selected": selected ? "true" : "false",
      "data-session-id": pane.id, "data-testid": "pane-tab", "data-kind": pane.kind,
      title: session ? `${session.workspace} — ${pane.id}` : pane.id,
    }, [
      el("span", { className: "dot", "data-status": session ? session.status : "unknown", "data-state": pane.state, "aria-hidden": "true" }),
      el("span", { className: "tab-name" }, tabLabel(pane)),
    ]);
    tab.addEventListener("click", () => actions.activate(pane.id));
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

/** The session list as a drawer on a phone (always open while no pane is). */
export function setSidebarOpen(open) {
  const wantOpen = open || (narrow.matches && state.panes.size === 0);
  $("#app-view").classList.toggle("sidebar-open", wantOpen);
  $("#scrim").hidden = !(wantOpen && narrow.matches && state.panes.size > 0);
}
