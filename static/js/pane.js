// One terminal pane: xterm.js (DOM renderer) fitted to its box, attached to one session over the
// shared connection. Output is only ever handed to xterm.js (never inserted as HTML); every event
// is written in order with a write callback, and what was rendered is acknowledged in batches
// (run:ack), so the gateway keeps at most its window in flight and a flood cannot queue without bound.

import { el } from "./dom.js";

const ACK_BYTES = 64 * 1024;
const ACK_DELAY_MS = 50;

const NOTICE_START = "\r\n\x1b[0;1;33m";
const NOTICE_END = "\x1b[0m\r\n";

export class TerminalPane {
  /**
   * @param {object} options
   *   id, conn (Connection), lib ({Terminal, FitAddon, WebLinksAddon} or null), session (descriptor or null),
   *   hooks: {onFocus, onClose, onEnd, onGone, onChange (each given the pane), onRename(pane, title),
   *          transformInput(data), isShortcut(event)}
   */
  constructor({ id, conn, lib, session, hooks }) {
    this.id = id;
    this.conn = conn;
    this.hooks = hooks;
    this.session = session;
    this.lastSeq = 0; // the last event handed to xterm.js: where a reattach resumes
    this.renderedSeq = 0; // the last event xterm.js finished rendering
    this.ackedSeq = 0;
    this.unackedBytes = 0;
    this.ackTimer = null;
    this.attached = false;
    this.attaching = false;
    this.gone = false;
    this.problem = null;
    this.connState = conn.state;
    this.exit = null;
    this.fitPending = false;
    this.disposed = false;

    this.dot = el("span", { className: "dot", "aria-hidden": "true" });
    this.titleEl = el("span", { className: "pane-title" });
    this.stateEl = el("span", { className: "pane-state", "data-testid": "pane-state", role: "status" });
    this.endButton = el("button", { type: "button", className: "small danger-text", title: "End this session (hang up its program)" }, "End");
    const renameButton = el("button", { type: "button", className: "small icon-button", title: "Rename this session", "aria-label": "Rename", "data-testid": "rename-session" }, "✎");
    const pasteButton = el("button", { type: "button", className: "small", title: "Paste from the clipboard (or Ctrl+Shift+V)" }, "Paste");
    const closeButton = el("button", { type: "button", className: "small icon-button", title: "Close this pane (the session goes on; Alt+Shift+W)", "aria-label": "Close pane" }, "✕");
    this.host = el("div", { className: "term-host" });
    this.element = el("section", { className: "pane", "data-session-id": id, role: "tabpanel" }, [
      el("header", { className: "pane-head" }, [
        this.dot, this.titleEl, this.stateEl,
        el("span", { className: "pane-actions" }, [renameButton, pasteButton, this.endButton, closeButton]),
      ]),
      el("div", { className: "pane-body" }, [this.host]),
    ]);

    renameButton.addEventListener("click", () => this.startRename());
    pasteButton.addEventListener("click", () => this.pasteFromClipboard());
    closeButton.addEventListener("click", () => this.hooks.onClose(this));
    this.endButton.addEventListener("click", () => this.confirmEnd());
    this.element.addEventListener("pointerdown", () => this.hooks.onFocus(this), true);
    this.element.addEventListener("focusin", () => this.hooks.onFocus(this));

    if (!lib) {
      this.host.append(el("p", { className: "pane-missing" },
        "The terminal library is missing on the server (static/vendor/xterm/index.js could not be loaded). "
        + "Run static/fetch-vendor.sh there, then reload this page."));
      this.term = null;
    } else {
      this.createTerminal(lib);
    }
    this.update(session);
  }

  createTerminal(lib) {
    const narrow = window.matchMedia("(max-width: 760px)").matches;
    const term = new lib.Terminal({
      cursorBlink: true,
      fontFamily: '"DejaVu Sans Mono", "Cascadia Mono", "SF Mono", Menlo, Consolas, "Liberation Mono", monospace',
      fontSize: narrow ? 13 : 14,
      scrollback: 10000,
      convertEol: false,
      macOptionIsMeta: true,
      theme: {
        background: "#1e1e1e", foreground: "#d4d4d4", cursor: "#aeafad", selectionBackground: "#264f78",
        black: "#000000", red: "#cd3131", green: "#0dbc79", yellow: "#e5e510", blue: "#2472c8", magenta: "#bc3fbc",
        cyan: "#11a8cd", white: "#e5e5e5", brightBlack: "#666666", brightRed: "#f14c4c", brightGreen: "#23d18b",
        brightYellow: "#f5f543", brightBlue: "#3b8eea", brightMagenta: "#d670d6", brightCyan: "#29b8db", brightWhite: "#e5e5e5",
      },
    });
    this.term = term;
    this.fit = new lib.FitAddon();
    term.loadAddon(this.fit);
    term.loadAddon(new lib.WebLinksAddon((event, uri) => openLink(uri)));
    term.open(this.host);

    term.onData((data) => this.input(this.hooks.transformInput(data)));
    term.onBinary((data) => this.input(data));
    term.onResize(() => this.sendResize());
    term.attachCustomKeyEventHandler((event) => this.keyFilter(event));
    let selectionTimer = null;
    term.onSelectionChange(() => {
      clearTimeout(selectionTimer);
      selectionTimer = setTimeout(() => {
        if (term.hasSelection()) copyText(term.getSelection());
      }, 120);
    });

    this.resizeObserver = new ResizeObserver(() => this.scheduleFit());
    this.resizeObserver.observe(this.host);
  }

  /** Keys that belong to the page (our shortcuts, copy/paste) never reach the program. */
  keyFilter(event) {
    if (this.hooks.isShortcut(event)) return false;
    if (event.type === "keydown" && event.ctrlKey && event.shiftKey && !event.altKey) {
      if (event.code === "KeyC") {
        if (this.term.hasSelection()) copyText(this.term.getSelection());
        event.preventDefault();
        return false;
      }
      if (event.code === "KeyV") return false; // the browser's paste event follows; xterm.js pastes it
    }
    return true;
  }

  input(data) {
    if (!data || this.gone) return;
    if (this.session && this.session.status === "stopped") {
      this.flash("the session has ended");
      return;
    }
    if (!this.conn.send({ type: "run:input", runId: this.id, data })) this.flash("not connected — input not sent");
  }

  async pasteFromClipboard() {
    if (!this.term) return;
    try {
      const text = await navigator.clipboard.readText();
      if (text) this.term.paste(text);
    } catch {
      this.flash("Paste with Ctrl+Shift+V (the browser keeps the clipboard closed here)");
    }
    this.term.focus();
  }

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

  // MARK: attach, events, acknowledgements

  /** (Re)attaches from the last event seen: the gateway replays what came after it, then goes live. */
  attach() {
    if (this.gone || this.attaching || !this.conn.isOpen) return;
    this.attaching = true;
    this.attached = false;
    this.refreshState();
    const afterSeq = this.lastSeq;
    this.conn.request({ type: "run:attach", runId: this.id, afterSeq, flow: true })
      .then((reply) => {
        if (reply.ok) {
          this.problem = null;
          this.attached = true;
          this.sendResize();
          this.flushAck();
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
    clearTimeout(this.ackTimer);
    this.ackTimer = null;
    this.refreshState();
  }

  markGone() {
    this.gone = true;
    this.attached = false;
    this.writeNotice("[this session no longer exists]");
    this.refreshState();
    this.hooks.onGone(this);
  }

  /** One `run:event` for this session. Duplicates (seq already seen) are dropped. */
  event(message) {
    const seq = message.seq;
    if (typeof seq !== "number" || seq <= this.lastSeq) return;
    if (seq > this.lastSeq + 1) {
      this.writeRaw(NOTICE_START + (this.lastSeq === 0 ? "[earlier output is no longer kept]" : "[some output was not kept]") + NOTICE_END);
    }
    this.lastSeq = seq;
    const payload = message.payload;
    let text = "";
    let size = 64;
    switch (message.channel) {
      case "pty:stdout":
        text = typeof payload === "string" ? payload : "";
        size += text.length;
        break;
      case "system:status":
        text = statusNotice(payload);
        break;
      case "pty:exit":
        this.exit = payload;
        text = exitNotice(payload);
        break;
      default:
        break;
    }
    if (!this.term) {
      this.rendered(seq, size);
      return;
    }
    this.term.write(text, () => this.rendered(seq, size));
  }

  rendered(seq, size) {
    if (seq > this.renderedSeq) this.renderedSeq = seq;
    this.unackedBytes += size;
    if (this.unackedBytes >= ACK_BYTES) {
      this.flushAck();
    } else if (!this.ackTimer) {
      this.ackTimer = setTimeout(() => this.flushAck(), ACK_DELAY_MS);
    }
  }

  flushAck() {
    clearTimeout(this.ackTimer);
    this.ackTimer = null;
    if (this.renderedSeq <= this.ackedSeq || !this.attached) return;
    if (this.conn.send({ type: "run:ack", runId: this.id, seq: this.renderedSeq })) {
      this.ackedSeq = this.renderedSeq;
      this.unackedBytes = 0;
    }
  }

  writeNotice(text) {
    this.writeRaw(NOTICE_START + text + NOTICE_END);
  }

  writeRaw(text) {
    if (this.term) this.term.write(text);
  }

  // MARK: size

  scheduleFit() {
    if (this.fitPending || !this.term) return;
    this.fitPending = true;
    requestAnimationFrame(() => {
      this.fitPending = false;
      this.fitNow();
    });
  }

  fitNow() {
    if (this.disposed || !this.term || this.host.clientWidth === 0 || this.host.clientHeight === 0) return;
    try {
      this.fit.fit();
    } catch { /* not laid out yet */ }
  }

  sendResize() {
    if (!this.term || this.gone || this.host.clientWidth === 0) return;
    this.conn.send({ type: "run:resize", runId: this.id, cols: this.term.cols, rows: this.term.rows });
  }

  get cols() { return this.term ? this.term.cols : 80; }
  get rows() { return this.term ? this.term.rows : 24; }

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

  focus() {
    if (this.term) this.term.focus();
  }

  /** The whole buffer as text, one line per row (for automation and tests). */
  bufferText() {
    if (!this.term) return "";
    const buffer = this.term.buffer.active;
    const lines = [];
    for (let i = 0; i < buffer.length; i++) {
      const line = buffer.getLine(i);
      if (!line) continue;
      if (line.isWrapped && lines.length) lines[lines.length - 1] += line.translateToString(true);
      else lines.push(line.translateToString(true));
    }
    while (lines.length && lines[lines.length - 1] === "") lines.pop();
    return lines.join("\n");
  }

  dispose() {
    this.disposed = true;
    clearTimeout(this.ackTimer);
    if (this.conn.isOpen && !this.gone) this.conn.send({ type: "run:detach", runId: this.id });
    if (this.resizeObserver) this.resizeObserver.disconnect();
    if (this.term) this.term.dispose();
    this.element.remove();
  }
}

/** How a session is named in the list: its title once renamed, else its kind and short id. */
export function sessionLabel(session) {
  if (session.title && session.title !== session.workspace) return session.title;
  return `${session.kind === "claude" ? "Claude" : "Terminal"} · ${session.id.slice(0, 6)}`;
}

function statusNotice(payload) {
  if (!payload || typeof payload !== "object") return "";
  switch (payload.status) {
    case "restarted":
      return NOTICE_START + "[session restarted]" + NOTICE_END;
    case "error":
      return NOTICE_START + `[session failed${payload.detail ? `: ${oneLine(payload.detail)}` : ""}]` + NOTICE_END;
    default:
      return ""; // started, crashed (a restart follows), stopped (pty:exit says how)
  }
}

function exitNotice(payload) {
  if (!payload || typeof payload !== "object") return NOTICE_START + "[process ended]" + NOTICE_END;
  if (payload.signal) return NOTICE_START + `[process ended by ${oneLine(String(payload.signal))}]` + NOTICE_END;
  return NOTICE_START + `[process exited with code ${Number(payload.exitCode)}]` + NOTICE_END;
}

/** Text from the server inside a notice: no escape sequences, one line. */
function oneLine(text) {
  return String(text).replace(/[\x00-\x1f\x7f-\x9f]/g, " ").slice(0, 200);
}

function openLink(uri) {
  let url;
  try {
    url = new URL(uri);
  } catch {
    return;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return;
  const opened = window.open(url.href, "_blank", "noopener,noreferrer");
  if (opened) opened.opener = null;
}

export function copyText(text) {
  if (!text) return;
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).catch(() => {});
  }
}
