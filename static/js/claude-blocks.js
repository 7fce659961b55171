// One assistant message of a Claude conversation and its content blocks: text (Markdown), thinking
// (collapsed), tool calls (collapsed, with their result once it comes). A message is built from the
// streamed deltas as they arrive, then confirmed by the final `assistant` line(s) of the same id:
// blocks are updated in place, so an open tool block stays open and keeps its result.

import { el } from "./dom.js";
import { renderMarkdown } from "./markdown.js";

const MAX_SHOWN = 20000; // characters of one tool input or result shown (the rest is counted)

export class AssistantMessage {
  /** tools: the conversation's map of tool_use id -> ToolBlock; changed(): something was redrawn. */
  constructor({ subagent, tools, changed }) {
    this.tools = tools;
    this.changed = changed;
    this.blocks = []; // by content index
    this.confirmed = []; // the content of the final line(s), each block once
    this.element = el("div", { className: `msg assistant${subagent ? " subagent" : ""}`, "data-testid": "claude-assistant" });
  }

  startBlock(index, block) {
    if (Number.isInteger(index) && !this.blocks[index]) this.place(index, makeBlock(block, this));
  }

  delta(index, delta) {
    if (!Number.isInteger(index)) return;
    if (!this.blocks[index]) {
      const type = { text_delta: "text", thinking_delta: "thinking", input_json_delta: "tool_use" }[delta.type];
      if (!type) return;
      this.place(index, makeBlock({ type }, this));
    }
    this.blocks[index].delta(delta);
  }

  /** A final line: its blocks replace what was streamed. Some CLI builds send one line per block,
   *  others the whole content: blocks already confirmed are skipped either way. */
  confirm(content) {
    for (const block of content) {
      if (!block || typeof block !== "object") continue;
      const text = JSON.stringify(block);
      if (!this.confirmed.some((seen) => JSON.stringify(seen) === text)) this.confirmed.push(block);
    }
    this.confirmed.forEach((block, index) => {
      const current = this.blocks[index];
      if (!current || current.type !== kindOf(block)) this.place(index, makeBlock(block, this));
      this.blocks[index].set(block);
    });
  }

  place(index, block) {
    const old = this.blocks[index];
    this.blocks[index] = block;
    if (old) old.element.replaceWith(block.element);
    else this.element.append(...this.blocks.filter(Boolean).map((b) => b.element)); // (moves keep their state)
  }
}

function kindOf(block) {
  if (block.type === "tool_use" || block.type === "server_tool_use") return "tool_use";
  if (block.type === "thinking" || block.type === "redacted_thinking") return "thinking";
  return block.type === "text" ? "text" : "other";
}

function makeBlock(block, message) {
  switch (kindOf(block)) {
    case "text": return new TextBlock(message);
    case "thinking": return new ThinkingBlock(block);
    case "tool_use": return new ToolBlock(block, message);
    default: return { type: "other", element: el("span", { hidden: true }), set() {}, delta() {} };
  }
}

/** Markdown, redrawn at most once a frame while it streams in, and at once when confirmed. */
class TextBlock {
  constructor(message) {
    this.type = "text";
    this.message = message;
    this.text = "";
    this.pending = false;
    this.element = el("div", { className: "md" });
  }

  delta(delta) {
    if (typeof delta.text !== "string") return;
    this.text += delta.text;
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.render();
    });
  }

  set(block) {
    const text = typeof block.text === "string" ? block.text : "";
    if (text === this.text && !this.pending && this.element.hasChildNodes()) return;
    this.text = text;
    this.render();
  }

  render() {
    this.element.replaceChildren(renderMarkdown(this.text));
    this.message.changed();
  }
}

/** Thinking is there to be looked at when wanted: collapsed. */
class ThinkingBlock {
  constructor(block) {
    this.type = "thinking";
    this.body = el("div", { className: "thinking-text" });
    this.element = el("details", { className: "thinking", "data-testid": "claude-thinking" }, [
      el("summary", {}, block.type === "redacted_thinking" ? "Thinking (redacted)" : "Thinking"), this.body,
    ]);
  }

  delta(delta) {
    if (typeof delta.thinking === "string") this.body.append(delta.thinking);
  }

  set(block) {
    if (typeof block.thinking === "string") this.body.textContent = block.thinking;
  }
}

/** A tool call: one summary line; the input and the result inside. */
class ToolBlock {
  constructor(block, message) {
    this.type = "tool_use";
    this.tools = message.tools;
    this.partialInput = "";
    this.nameEl = el("span", { className: "tool-name" });
    this.briefEl = el("span", { className: "tool-brief" });
    this.statusEl = el("span", { className: "tool-status", "aria-label": "running" });
    this.inputEl = el("pre", { className: "tool-input" });
    this.resultEl = el("div", { className: "tool-result", hidden: true });
    this.element = el("details", { className: "tool", "data-testid": "claude-tool" }, [
      el("summary", {}, [this.statusEl, this.nameEl, this.briefEl]),
      el("div", { className: "tool-body" }, [this.inputEl, this.resultEl]),
    ]);
    this.set(block);
  }

  delta(delta) {
    if (typeof delta.partial_json !== "string") return;
    this.partialInput += delta.partial_json;
    this.inputEl.textContent = clip(this.partialInput);
  }

  set(block) {
    if (typeof block.id === "string" && block.id && block.id !== this.id) {
      this.id = block.id;
      this.element.dataset.toolUseId = block.id;
      this.tools.set(block.id, this);
    }
    if (typeof block.name === "string") this.nameEl.textContent = block.name;
    if (block.input && typeof block.input === "object" && (Object.keys(block.input).length || !this.partialInput)) {
      this.briefEl.textContent = toolSummary(block.name, block.input, false);
      this.inputEl.textContent = clip(JSON.stringify(block.input, null, 2));
    }
  }

  setResult(block) {
    const failed = block.is_error === true;
    this.element.dataset.result = failed ? "error" : "ok";
    this.statusEl.setAttribute("aria-label", failed ? "failed" : "done");
    this.resultEl.hidden = false;
    this.resultEl.classList.toggle("error", failed);
    this.resultEl.replaceChildren(el("pre", {}, resultText(block)));
  }
}

/** What a tool call is about, in a few words (or in full for a permission prompt). */
export function toolSummary(name, input, full) {
  if (!input || typeof input !== "object") return "";
  const main = ["command", "file_path", "path", "pattern", "url", "query", "description", "prompt"]
    .map((key) => input[key]).find((value) => typeof value === "string" && value);
  if (!full) return main ? oneLine(main) : "";
  const rest = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== main));
  const extra = Object.keys(rest).length ? JSON.stringify(rest, null, 2) : "";
  return clip(main ? (extra ? `${main}\n${extra}` : main) : JSON.stringify(input, null, 2));
}

/** A tool result's content (a string or blocks) as text. */
export function resultText(block) {
  const content = block.content;
  if (typeof content === "string") return clip(content) || "(no output)";
  if (!Array.isArray(content)) return "(no output)";
  const text = content.map((part) => (part && part.type === "text" ? String(part.text) : `[${part && part.type}]`)).join("\n");
  return clip(text) || "(no output)";
}

function oneLine(text) {
  const line = String(text).replace(/\s+/g, " ").trim();
  return line.length > 120 ? `${line.slice(0, 119)}…` : line;
}

function clip(text) {
  const value = String(text);
  return value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}\n… (${value.length - MAX_SHOWN} more characters)` : value;
}
