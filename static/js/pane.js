// One terminal pane: xterm.js (DOM renderer) fitted to its box, attached to one session over the
// shared connection. Output is only ever handed to xterm.js (never inserted as HTML); every event
// is written in order with a write callback, and what was rendered is acknowledged in batches
// (run:ack), so the gateway keeps at most its window in flight and a flood cannot queue without bound.

import { el } from "./dom.js";
import { SessionPane, openLink } from "./session-pane.js";

const ACK_BYTES = 64 * 1024;
const ACK_DELAY_MS = 50;

const NOTICE_START = "\r\n\x1b[0;1;33m";
const NOTICE_END = "\x1b[0m\r\n";

export class TerminalPane extends SessionPane {
  /**
   * @param {object} options
   *   id, conn (Connection), lib ({Terminal, FitAddon, WebLinksAddon} or null), session (descriptor or null),
   *   hooks: those of SessionPane, plus transformInput(data) and isShortcut(event)
   */
  constructor({ id, conn, lib, session, hooks }) {
    const pasteButton = el("button", { type: "button", className: "small", title: "Paste from the clipboard (or Ctrl+Shift+V)" }, "Paste");
    super({ id, conn, session, kind: "pty", actions: [pasteButton], hooks });
    this.renderedSeq = 0; // the last event xterm.js finished rendering
    this.ackedSeq = 0;
    this.unackedBytes = 0;
    this.ackTimer = null;
    this.fitPending = false;
    this.host = el("div", { className: "term-host" });
    this.body.append(this.host);
    pasteButton.addEventListener("click", () => this.pasteFromClipboard());

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

  // MARK: events and acknowledgements

  attachFields() {
    return { flow: true };
  }

  attachedNow() {
    this.sendResize();
    this.flushAck();
  }

  detached() {
    clearTimeout(this.ackTimer);
    this.ackTimer = null;
    super.detached();
  }

  receive(message, gap) {
    const seq = message.seq;
    if (gap) this.notice(gap === "start" ? "[earlier output is no longer kept]" : "[some output was not kept]");
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

  notice(text) {
    if (this.term) this.term.write(NOTICE_START + text + NOTICE_END);
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

  disposeBody() {
    clearTimeout(this.ackTimer);
    if (this.resizeObserver) this.resizeObserver.disconnect();
    if (this.term) this.term.dispose();
  }
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

export function copyText(text) {
  if (!text) return;
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).catch(() => {});
  }
}
