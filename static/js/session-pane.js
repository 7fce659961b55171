// What every pane shares, whatever runs in it: the header (title, live state, rename, end, close),
// attaching to the session over the shared connection, and replay from the last event seen, so a
// reconnect or a reload shows every event once, in order. Terminal and Claude panes extend it.

import { el } from "./dom.js";

export class SessionPane {
  /**
   * @param {object} options
   *   id, conn (Connection), session (descriptor or null), kind ("pty" | "claude"),
   *   actions (extra header buttons), hooks: {onFocus, onClose, onEnd, onGone, onChange (each given the pane),
   *   onRename(pane, title)}
   */
  constructor({ id, conn, session, kind, actions = [], hooks }) {
    this.id = id;
    this.conn = conn;
    this.hooks = hooks;
    this.session = session;
    this.kind = kind;
    this.lastSeq = 0; // the last event received: where a reattach resumes
    this.attached = false;
    this.attaching = false;
    this.gone = false;
    this.problem = null;
    this.connState = conn.state;
    this.exit = null;
    this.disposed = false;

    this.dot = el("span", { className: "dot", "aria-hidden": "true" });
    this.titleEl = el("span", { className: "pane-title" });
    this.stateEl = el("span", { className: "pane-state", "data-testid": "pane-state", role: "status" });
    this.endButton = el("button", { type: "button", className: "small danger-text", title: "End this session (hang up its program)" }, "End");
    const renameButton = el("button", { type: "button", className: "small icon-button", title: "Rename this session", "aria-label": "Rename", "data-testid": "rename-session" }, "✎");
    const closeButton = el("button", { type: "button", className: "small icon-button", title: "Close this pane (the session goes on; Alt+Shift+W)", "aria-label": "Close pane" }, "✕");
    this.body = el("div", { className: "pane-body" });
    this.element = el("section", { className: "pane", "data-session-id": id, "data-kind": kind, role: "tabpanel" }, [
      el("header", { className: "pane-head" }, [
        this.dot, this.titleEl, this.stateEl,
        el("span", { className: "pane-actions" }, [renameButton, ...actions, this.endButton, closeButton]),
      ]),
      this.body,
    ]);

    renameButton.addEventListener("click", () => this.startRename());
    closeButton.addEventListener("click", () => this.hooks.onClose(this));
    this.endButton.addEventListener("click", () => this.confirmEnd());
    this.element.addEventListener("pointerdown", () => this.hooks.onFocus(this), true);
    this.element.addEventListener("focusin", () => this.hooks.onFocus(this));
  }

  // MARK: what a kind of pane adds (overridden)

  /** Extra fields of run:attach. */
  attachFields() { return {}; }

  /** The gateway accepted the attach (replay follows). */
  attachedNow() {}

  /** One new event, in order; `gap` says events before it are no longer kept ("start" or "middle"). */
  receive(_message, _gap) {}

  /** A one-line notice inside the pane. */
  notice(_text) {}

  focus() {}

  /** The pane's box may have changed size. */
  scheduleFit() {}

  disposeBody() {}

  // MARK: attach and events

  /** (Re)attaches from the last event seen: the gateway replays what came after it, then goes live. */
  attach() {
    if (this.disposed || this.gone || this.attaching || !this.conn.isOpen) return;
    this.attaching = true;
    this.attached = false;
    this.refreshState();
    this.conn.request({ type: "run:attach", runId: this.id, afterSeq: this.lastSeq, ...this.attachFields() })
      .then((reply) => {
        if (reply.ok) {
          this.problem = null;
          this.attached = true;
          this.attachedNow();
        } else if (/unknown session|no session/i.test(reply.error || "")) {
          this.markGone();
        } else {
          // Shown on the pane, and tried again shortly.
          this.problem = reply.error || "could not attach";
          setTimeout(() => { if (!this.disposed && !this.attached) this.attach(); }, 3000);
        }
      })
      .catch(() => { /* disconnected: the next open reattaches */ })
      .finally(() => {
        this.attaching = false;
        this.refreshState();
      });
  }

  detached() {
    this.attached = false;
    this.attaching = false;
    this.refreshState();
  }

  markGone() {
    this.gone = true;
    this.attached = false;
    this.notice("[this session no longer exists]");
    this.refreshState();
    this.hooks.onGone(this);
  }

  /** One `run:event` for this session. Duplicates (seq already seen) are dropped. */
  event(message) {
    const seq = message.seq;
    if (typeof seq !== "number" || seq <= this.lastSeq) return;
    const gap = seq > this.lastSeq + 1 ? (this.lastSeq === 0 ? "start" : "middle") : null;
    this.lastSeq = seq;
    if (message.channel === "pty:exit") this.exit = message.payload;
    this.receive(message, gap);
  }

  // MARK: header actions

  /** An input in place of the title: Enter renames, Escape (or leaving it) cancels. */
  startRename() {
    if (this.renameInput || !this.session) return;
    const input = el("input", {
      type: "text", className: "pane-rename", maxlength: "200", "aria-label": "Session name",
      spellcheck: "false", autocomplete: "off", "data-testid": "rename-input",
    });
    input.value = this.session.title || "";
    this.renameInput = input;
    this.titleEl.hidden = true;
    this.titleEl.after(input);
    const finish = (save) => {
      if (this.renameInput !== input) return;
      this.renameInput = null;
      const title = input.value.trim();
      input.remove();
      this.titleEl.hidden = false;
      if (save && title && title !== this.session.title) this.hooks.onRename(this, title);
      if (save) this.focus();
    };
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") { event.preventDefault(); finish(true); }
      if (event.key === "Escape") { event.preventDefault(); finish(false); this.focus(); }
    });
    input.addEventListener("blur", () => finish(false));
    input.focus();
    input.select();
  }

  confirmEnd() {
    if (this.endArmed) {
      clearTimeout(this.endArmed);
      this.endArmed = null;
      this.endButton.textContent = "End";
      this.endButton.classList.remove("armed");
      this.hooks.onEnd(this);
      return;
    }
    this.endButton.textContent = "End?";
    this.endButton.classList.add("armed");
    this.endArmed = setTimeout(() => {
      this.endArmed = null;
      this.endButton.textContent = "End";
      this.endButton.classList.remove("armed");
    }, 3000);
  }

  // MARK: state shown

  /** A new descriptor from the server (status, restarts). */
  update(session) {
    if (session) this.session = session;
    const s = this.session;
    const short = this.id.slice(0, 6);
    const custom = s && s.title && s.title !== s.workspace;
    this.titleEl.textContent = !s ? short : custom ? `${s.title} — ${s.workspace}` : `${s.workspace || "session"} · ${short}`;
    this.titleEl.title = s ? `${s.workspace} — ${this.id}${s.meta && s.meta.cwd ? `\n${s.meta.cwd}` : ""}` : this.id;
    this.dot.dataset.status = s ? s.status : "unknown";
    this.refreshState();
  }

  setConnectionState(state, detail) {
    this.connState = state;
    this.connDetail = detail;
    if (state !== "open") this.detached();
    this.refreshState();
  }

  refreshState() {
    let state;
    let text;
    const status = this.session ? this.session.status : null;
    if (this.gone) {
      state = "gone"; text = "gone";
    } else if (status === "stopped") {
      state = "ended"; text = this.exit && this.exit.signal ? `ended (${this.exit.signal})`
        : this.exit && this.exit.exitCode !== null && this.exit.exitCode !== undefined ? `ended (exit ${this.exit.exitCode})` : "ended";
    } else if (status === "error") {
      state = "error"; text = "error";
    } else if (this.connState === "open" && this.attached) {
      state = "live"; text = "live";
    } else if (this.connState === "open" && this.problem) {
      state = "error"; text = `cannot attach: ${this.problem}`;
    } else if (this.connState === "offline") {
      state = "offline"; text = "offline — reconnecting";
    } else {
      state = "connecting"; text = "connecting…";
    }
    if (this.flashText) text = this.flashText;
    this.state = state;
    this.endButton.hidden = state === "ended" || state === "gone";
    this.element.dataset.state = state;
    this.stateEl.dataset.state = state;
    this.stateEl.textContent = text;
    this.stateEl.title = text;
    this.hooks.onChange(this);
  }

  flash(text) {
    this.flashText = text;
    this.refreshState();
    clearTimeout(this.flashTimer);
    this.flashTimer = setTimeout(() => {
      this.flashText = null;
      this.refreshState();
    }, 4000);
  }

  dispose() {
    this.disposed = true;
    if (this.conn.isOpen && !this.gone) this.conn.send({ type: "run:detach", runId: this.id });
    this.disposeBody();
    this.element.remove();
  }
}

/** How a session is named in the list: its title once renamed, else its kind and short id. */
export function sessionLabel(session) {
  if (session.title && session.title !== session.workspace) return session.title;
  return `${session.kind === "claude" ? "Claude" : "Terminal"} · ${session.id.slice(0, 6)}`;
}

/** Opens an http(s) link in a new tab without giving it this page (anything else is ignored). */
export function openLink(uri) {
  const url = safeUrl(uri);
  if (!url || url.protocol === "mailto:") return;
  const opened = window.open(url.href, "_blank", "noopener,noreferrer");
  if (opened) opened.opener = null;
}

/** The URL when it is http(s) or mailto, else null (javascript:, data:, relative paths...). */
export function safeUrl(text) {
  let url;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  return ["http:", "https:", "mailto:"].includes(url.protocol) ? url : null;
}
