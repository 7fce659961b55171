// Keys: the page's own shortcuts (chosen so that Ctrl-C, Ctrl-D, Esc and the rest reach the
// terminal), and the extra-keys bar of phones (Esc, Tab, a sticky Ctrl, ^C, arrows).

import { state } from "./state.js";

/** Alt+Shift+N new terminal, Alt+Shift+←/→ (or [ ]) previous/next pane, Alt+Shift+W close the pane. */
export function isShortcut(event) {
  return event.type === "keydown" && event.altKey && event.shiftKey && !event.ctrlKey && !event.metaKey
    && ["KeyN", "KeyW", "ArrowLeft", "ArrowRight", "BracketLeft", "BracketRight"].includes(event.code);
}

/** The extra-keys bar's sticky Ctrl applies to the next key typed. */
export function transformInput(data) {
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

export function extraKey(key) {
  const pane = state.active && state.panes.get(state.active);
  if (!pane || pane.kind !== "pty") return;
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
