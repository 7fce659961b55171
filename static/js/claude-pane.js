// A Claude pane: the conversation (claude-transcript.js) above a message box. Enter sends the
// message as one turn (run:input), Shift+Enter starts a new line; Stop (or Esc) interrupts the turn
// (run:interrupt); permission prompts are answered with claude:permission; an ended session can be
// resumed (run:restart), or started afresh when its conversation is gone. Attach and replay are the
// shared ones of SessionPane: after a reload the replay rebuilds the same conversation.

import { el } from "./dom.js";
import { SessionPane } from "./session-pane.js";
import { Transcript } from "./claude-transcript.js";

const coarse = window.matchMedia("(pointer: coarse)");

export class ClaudePane extends SessionPane {
  constructor({ id, conn, session, hooks }) {
    super({ id, conn, session, kind: "claude", hooks });
    this.sending = false;
    this.restartWanted = null; // {fresh}: a restart asked for before the CLI had ended
    this.stick = true; // the view follows new messages until the user scrolls up
    this.transcript = new Transcript({
      answer: (requestId, behavior) => this.answer(requestId, behavior),
      startFresh: () => this.restart(true),
      changed: () => this.changed(),
    });
    this.input = el("textarea", {
      className: "chat-input", rows: "1", "aria-label": "Message to Claude", "data-testid": "claude-input",
      placeholder: "Message Claude…", title: "Enter sends; Shift+Enter starts a new line",
    });
    this.sendButton = el("button", { type: "button", className: "primary", "data-testid": "claude-send" }, "Send");
    this.interruptButton = el("button", {
      type: "button", className: "interrupt", "data-testid": "claude-interrupt", title: "Stop this turn (Esc)", hidden: true,
    }, "Stop");
    this.resumeButton = el("button", {
      type: "button", className: "small", "data-testid": "claude-resume", title: "Start Claude again on this conversation", hidden: true,
    }, "Resume");
    this.statusEl = el("span", { className: "chat-status", "data-testid": "claude-status", role: "status" });
    this.infoEl = el("span", { className: "chat-info" });
    const log = this.transcript.element;
    this.body.append(el("div", { className: "chat" }, [
      log,
      el("div", { className: "composer" }, [
        el("div", { className: "composer-status" }, [this.statusEl, this.resumeButton, this.infoEl]),
        el("div", { className: "composer-row" }, [this.input, this.interruptButton, this.sendButton]),
      ]),
    ]));

    log.addEventListener("scroll", () => {
      this.stick = log.scrollHeight - log.scrollTop - log.clientHeight < 48;
    }, { passive: true });
    this.input.addEventListener("keydown", (event) => this.key(event));
    this.input.addEventListener("input", () => this.fitInput());
    this.sendButton.addEventListener("click", () => this.send());
    this.interruptButton.addEventListener("click", () => this.interrupt());
    this.resumeButton.addEventListener("click", () => this.restart(false));
    this.update(session);
  }

  key(event) {
    if (event.isComposing || event.keyCode === 229) return; // an input method is composing
    if (event.key === "Enter" && !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      this.send();
    } else if (event.key === "Escape" && this.transcript.running) {
      event.preventDefault();
      this.interrupt();
    }
  }

  fitInput() {
    this.input.style.height = "auto";
    if (!this.input.value) return; // (one row; an empty box would measure its placeholder)
    this.input.style.height = `${Math.min(this.input.scrollHeight + 2, 200)}px`;
  }

  // MARK: requests

  send() {
    const text = this.input.value;
    if (!text.trim() || this.gone) return;
    if (this.session && (this.session.status === "stopped" || this.session.status === "error")) {
      this.flash("Claude has ended: resume it first");
      return;
    }
    if (!this.conn.send({ type: "run:input", runId: this.id, data: text })) {
      this.flash("not connected — message not sent");
      return;
    }
    this.input.value = "";
    this.fitInput();
    this.sending = true;
    this.stick = true;
    this.refreshComposer();
  }

  async interrupt() {
    this.interruptButton.disabled = true;
    const reply = await this.ask({ type: "run:interrupt", runId: this.id });
    this.interruptButton.disabled = false;
    if (!reply.ok) this.flash(`not interrupted: ${reply.error}`);
  }

  answer(requestId, behavior) {
    return this.ask({ type: "claude:permission", runId: this.id, requestId, behavior });
  }

  /** Reopens the ended session; asked while the CLI is still exiting, it waits for the end first. */
  async restart(fresh) {
    const status = this.session && this.session.status;
    if (status === "running" || status === "starting") {
      this.restartWanted = { fresh };
      this.flash("waiting for Claude to stop…");
      return;
    }
    this.restartWanted = null;
    const reply = await this.ask({ type: "run:restart", runId: this.id, fresh });
    if (!reply.ok) this.flash(`not restarted: ${reply.error}`);
  }

  update(session) {
    super.update(session);
    const status = this.session && this.session.status;
    if (this.restartWanted && (status === "stopped" || status === "error")) this.restart(this.restartWanted.fresh);
  }

  /** A request with a reply: {ok, error} whatever happens. */
  async ask(message) {
    try {
      const reply = await this.conn.request(message);
      return { ok: reply.ok === true, error: reply.error || "refused" };
    } catch (error) {
      return { ok: false, error: error.message === "timeout" ? "no answer from the server" : "not connected" };
    }
  }

  // MARK: events

  receive(message, gap) {
    if (gap) this.transcript.note(gap === "start" ? "Earlier messages are no longer kept." : "Some messages were not kept.");
    if (message.channel === "claude:user") this.sending = false;
    this.transcript.apply(message.channel, message.payload);
    // A streamed delta never changes the composer; redrawing it per token would be work for nothing.
    if (message.payload?.type !== "stream_event") this.refreshComposer();
  }

  notice(text) {
    this.transcript.note(text);
  }

  changed() {
    if (!this.stick || this.scrollPending) return;
    this.scrollPending = true;
    requestAnimationFrame(() => {
      this.scrollPending = false;
      const log = this.transcript.element;
      log.scrollTop = log.scrollHeight;
    });
  }

  refreshState() {
    super.refreshState();
    if (this.transcript) this.refreshComposer();
  }

  refreshComposer() {
    const status = this.session ? this.session.status : null;
    const ended = this.gone || status === "stopped" || status === "error";
    const running = this.transcript.running && !ended;
    const pending = this.transcript.pendingPermissions;
    let text;
    if (this.gone) text = "This session no longer exists.";
    else if (ended) text = status === "error" ? "Claude failed." : "Claude has ended.";
    else if (pending) text = pending > 1 ? `${pending} requests wait for your answer` : "Waiting for your answer";
    else if (running) text = "Claude is working…";
    else if (this.sending) text = "Sending…";
    else text = "Ready";
    this.statusEl.textContent = text;
    this.element.dataset.turn = pending ? "asking" : running ? "running" : "idle";
    this.interruptButton.hidden = !running;
    this.resumeButton.hidden = !ended || this.gone;
    this.sendButton.disabled = ended;
    this.input.disabled = this.gone;
    const meta = (this.session && this.session.meta) || {};
    const info = this.transcript.info || {};
    this.infoEl.textContent = [info.model || meta.model, meta.permissionMode || info.permissionMode].filter(Boolean).join(" · ");
  }

  focus() {
    if (!coarse.matches) this.input.focus(); // (on a phone, focusing would pop the keyboard up at every tab switch)
  }

  /** The conversation as text (automation and tests). */
  bufferText() {
    return this.transcript.text();
  }
}
