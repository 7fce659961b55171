// The conversation of a Claude session, rebuilt from its events (live or replayed, the same path):
// user messages; assistant messages streamed from `stream_event` deltas and then confirmed by the
// final `assistant` lines (merged by message id); tool calls with their results and thinking as
// collapsed <details>; permission prompts with Allow / Deny; each turn's cost and duration; errors.
// Text from Claude goes through the DOM-building Markdown renderer or into text nodes, never HTML.

import { el } from "./dom.js";
import { AssistantMessage, toolSummary, resultText } from "./claude-blocks.js";

export class Transcript {
  /**
   * @param {object} callbacks
   *   answer(requestId, behavior) → Promise<{ok, error}>: a permission prompt was answered here;
   *   startFresh(): the conversation is gone and the user asked for a new one;
   *   changed(): something was shown (the pane keeps the view at the bottom).
   */
  constructor(callbacks) {
    this.callbacks = callbacks;
    this.element = el("div", { className: "chat-log", role: "log", "aria-live": "polite", "data-testid": "claude-log" });
    this.messages = new Map(); // assistant message id -> AssistantMessage
    this.live = null; // the message being streamed
    this.tools = new Map(); // tool_use id -> its block (results attach there)
    this.permissions = new Map(); // requestId -> card
    this.running = false;
    this.info = null; // from system/init: model, permissionMode, version
  }

  get pendingPermissions() {
    return [...this.permissions.values()].filter((card) => card.dataset.state === "pending").length;
  }

  /** One event of the session, in order. */
  apply(channel, payload) {
    switch (channel) {
      case "claude:user":
        this.running = true;
        this.live = null;
        this.append(el("div", { className: "msg user", "data-testid": "claude-user" }, textOf(payload && payload.text)));
        break;
      case "claude:message":
        if (payload && typeof payload === "object") this.message(payload);
        break;
      case "claude:result":
        this.result(payload || {});
        break;
      case "claude:error":
        this.error(payload || {});
        break;
      case "claude:permission":
        this.permission(payload || {});
        break;
      case "system:status":
        if (payload && payload.status === "restarted") this.note("Claude was restarted; the conversation goes on.");
        if (payload && payload.status === "error") this.note(`The session failed${payload.detail ? `: ${textOf(payload.detail)}` : ""}.`, "error");
        if (payload && ["restarted", "crashed", "error", "stopped"].includes(payload.status)) this.endTurn();
        break;
      case "pty:exit":
        this.endTurn();
        this.note(payload && payload.signal ? `Claude ended (${textOf(payload.signal)}).`
          : `Claude ended${payload && Number.isInteger(payload.exitCode) ? ` (exit ${payload.exitCode})` : ""}.`);
        break;
      default:
        break;
    }
    this.callbacks.changed();
  }

  /** One stream-json line of the CLI. Unknown types are ignored, as the CLI's own SDKs do. */
  message(line) {
    switch (line.type) {
      case "system":
        if (line.subtype === "init") this.info = { model: line.model, permissionMode: line.permissionMode, version: line.claude_code_version };
        else if (line.subtype === "api_retry") this.note(`The API did not answer; retry ${Number(line.attempt) || "?"} of ${Number(line.max_retries) || "?"}…`);
        else if (line.subtype === "compact_boundary") this.note("The conversation was compacted.");
        break;
      case "stream_event":
        this.streamEvent(line.event || {}, line.parent_tool_use_id);
        break;
      case "assistant": {
        const message = line.message || {};
        const target = this.messages.get(message.id) || this.adoptLive(message.id) || this.assistant(message.id, line.parent_tool_use_id);
        target.confirm(Array.isArray(message.content) ? message.content : []);
        if (line.error) target.element.classList.add("failed");
        break;
      }
      case "user":
        this.userLine(line);
        break;
      default:
        break; // result (claude:result carries it), control_response, rate_limit_event, newer types
    }
  }

  streamEvent(event, parent) {
    if (event.type === "message_start") {
      this.live = this.assistant(event.message && event.message.id, parent);
      return;
    }
    const live = this.live;
    if (!live) return;
    if (event.type === "content_block_start") live.startBlock(event.index, event.content_block || {});
    else if (event.type === "content_block_delta") live.delta(event.index, event.delta || {});
  }

  /** A final line whose id no stream announced confirms the message being streamed, if any (the CLI
   *  gives both the same id; a stream without its final line would otherwise be shown twice). */
  adoptLive(id) {
    const live = this.live;
    if (!live || live.confirmed.length || typeof id !== "string" || !id) return null;
    this.messages.set(id, live);
    return live;
  }

  /** The message with this id, made (and shown) on first sight. */
  assistant(id, parent) {
    const key = typeof id === "string" && id ? id : `anonymous-${this.messages.size}`;
    let message = this.messages.get(key);
    if (!message) {
      message = new AssistantMessage({ subagent: Boolean(parent), tools: this.tools, changed: () => this.callbacks.changed() });
      this.messages.set(key, message);
      this.append(message.element);
    }
    return message;
  }

  /** Tool results go under their tool call; bracketed texts ("[Request interrupted by user]") are notes. */
  userLine(line) {
    const content = line.message && line.message.content;
    if (!Array.isArray(content)) return; // the user's own text: claude:user showed it
    for (const block of content) {
      if (!block || typeof block !== "object") continue;
      if (block.type === "tool_result") {
        const tool = this.tools.get(block.tool_use_id);
        if (tool) tool.setResult(block);
        else this.append(el("div", { className: "msg tool-orphan" }, resultText(block)));
      } else if (block.type === "text" && /^\[[^\]]*\]$/.test(String(block.text).trim())) {
        this.note(String(block.text).trim().slice(1, -1));
      }
    }
  }

  result(result) {
    this.endTurn();
    const parts = [];
    const interrupted = result.terminal_reason === "aborted_streaming" || result.terminal_reason === "aborted_tools";
    const failed = result.is_error === true && !interrupted;
    parts.push(interrupted ? "Interrupted" : failed ? `Failed (${textOf(result.subtype || "error")})` : "Done");
    if (Number.isFinite(result.duration_ms)) parts.push(formatDuration(result.duration_ms));
    if (Number.isFinite(result.total_cost_usd)) parts.push(formatCost(result.total_cost_usd));
    if (Number.isFinite(result.num_turns) && result.num_turns > 1) parts.push(`${result.num_turns} steps`);
    const footer = el("div", {
      className: `turn-end${failed ? " failed" : ""}${interrupted ? " interrupted" : ""}`, "data-testid": "claude-result",
    }, parts.join(" · "));
    const errors = Array.isArray(result.errors) ? result.errors.filter((e) => typeof e === "string" && e) : [];
    if (failed && errors.length) footer.append(el("div", { className: "turn-errors" }, errors.join("\n")));
    this.append(footer);
  }

  endTurn() {
    this.running = false;
    this.live = null;
  }

  error(payload) {
    const box = el("div", { className: "chat-error", role: "alert", "data-testid": "claude-error" }, textOf(payload.message || "error"));
    if (payload.kind === "no_conversation") {
      const fresh = el("button", { type: "button", className: "small primary", "data-testid": "claude-start-fresh" }, "Start a fresh conversation");
      fresh.addEventListener("click", () => this.callbacks.startFresh());
      box.append(el("div", { className: "chat-error-actions" }, fresh));
    }
    this.append(box);
  }

  permission(payload) {
    const id = typeof payload.requestId === "string" ? payload.requestId : null;
    if (!id) return;
    let card = this.permissions.get(id);
    if (payload.state === "pending" || !card) {
      if (!card) {
        card = this.permissionCard(id, payload);
        this.permissions.set(id, card);
        this.append(card);
      }
      if (payload.state === "pending") return;
    }
    // allowed, denied, or (the CLI ended first) expired
    const state = ["allowed", "denied"].includes(payload.state) ? payload.state : "expired";
    card.dataset.state = state;
    card.querySelector(".permission-buttons").hidden = true;
    const word = { allowed: "Allowed", denied: "Denied", expired: "No longer asked" }[state];
    card.querySelector(".permission-state").textContent = `${word}${payload.message ? ` — ${textOf(payload.message)}` : ""}`;
  }

  permissionCard(id, payload) {
    const name = textOf(payload.toolName || "a tool");
    const allow = el("button", { type: "button", className: "primary", "data-testid": "permission-allow" }, "Allow");
    const deny = el("button", { type: "button", className: "deny", "data-testid": "permission-deny" }, "Deny");
    const stateLine = el("p", { className: "permission-state", role: "status" });
    const card = el("div", { className: "permission", "data-request-id": id, "data-state": "pending", "data-testid": "claude-permission" }, [
      el("p", { className: "permission-title" }, ["Claude wants to use ", el("strong", {}, name)]),
      el("pre", { className: "permission-input" }, toolSummary(payload.toolName, payload.input, true)),
      el("div", { className: "permission-buttons" }, [allow, deny]),
      stateLine,
    ]);
    const answer = async (behavior) => {
      allow.disabled = deny.disabled = true;
      stateLine.textContent = behavior === "allow" ? "Allowing…" : "Denying…";
      const reply = await this.callbacks.answer(id, behavior);
      if (reply.ok || card.dataset.state !== "pending") return; // the claude:permission event says how it ended
      stateLine.textContent = `Not sent: ${textOf(reply.error || "no answer")}`;
      allow.disabled = deny.disabled = false;
    };
    allow.addEventListener("click", () => answer("allow"));
    deny.addEventListener("click", () => answer("deny"));
    return card;
  }

  note(text, kind = "info") {
    this.append(el("div", { className: `chat-note ${kind}` }, text));
  }

  append(node) {
    this.element.append(node);
  }

  /** The conversation as plain text (automation and tests). */
  text() {
    return this.element.innerText;
  }
}

/** Any value shown as text: strings as they are, anything else as JSON. */
export function textOf(value) {
  if (typeof value === "string") return value;
  if (value === undefined || value === null) return "";
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

function formatDuration(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
}

function formatCost(usd) {
  return `$${usd < 1 ? usd.toFixed(4) : usd.toFixed(2)}`;
}
