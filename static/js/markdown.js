// A small Markdown renderer that builds DOM nodes directly: text only ever becomes text nodes, so
// nothing in a message is parsed as HTML (a `<script>` or `onerror=` stays visible text) and there is
// nothing to sanitize afterwards. Links are kept only for http(s) and mailto URLs.
// Covers what chat answers use: paragraphs, headings, code fences (an unclosed fence while an answer
// streams in is shown as code so far), lists (nested by indentation), block quotes, tables, rules,
// inline code, bold, italic, strike-through, links and bare URLs.

import { el } from "./dom.js";
import { safeUrl } from "./session-pane.js";

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/;
const HEADING = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const RULE = /^ {0,3}([-*_])(\s*\1){2,}\s*$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const ITEM = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/;
const TABLE_RULE = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;
const BLANK = /^\s*$/;

/** The Markdown `text` as a DocumentFragment. */
export function renderMarkdown(text) {
  const fragment = document.createDocumentFragment();
  fragment.append(...blocks(String(text).replace(/\r\n?/g, "\n").split("\n")));
  return fragment;
}

function blocks(lines) {
  const out = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    let match;
    if (BLANK.test(line)) {
      i += 1;
    } else if ((match = FENCE.exec(line))) {
      const closing = new RegExp(`^ {0,3}${match[1][0]}{${match[1].length},}\\s*$`);
      const body = [];
      i += 1;
      while (i < lines.length && !closing.test(lines[i])) body.push(lines[i++]);
      i += 1; // the closing fence (or the end)
      out.push(codeBlock(body.join("\n"), match[2]));
    } else if ((match = HEADING.exec(line))) {
      out.push(el(`h${Math.min(6, match[1].length + 2)}`, { className: "md-heading" }, inline(match[2])));
      i += 1;
    } else if (RULE.test(line)) {
      out.push(el("hr"));
      i += 1;
    } else if (QUOTE.test(line)) {
      const body = [];
      while (i < lines.length && !BLANK.test(lines[i]) && (QUOTE.test(lines[i]) || body.length)) {
        const quoted = QUOTE.exec(lines[i]);
        body.push(quoted ? quoted[1] : lines[i]);
        i += 1;
      }
      out.push(el("blockquote", {}, blocks(body)));
    } else if (ITEM.test(line)) {
      i = list(lines, i, out);
    } else if (line.includes("|") && i + 1 < lines.length && TABLE_RULE.test(lines[i + 1]) && lines[i + 1].includes("-")) {
      i = table(lines, i, out);
    } else {
      const body = [];
      while (i < lines.length && !BLANK.test(lines[i]) && !startsBlock(lines[i])) body.push(lines[i++].trimStart());
      if (body.length === 0) body.push(lines[i++].trimStart());
      out.push(el("p", {}, paragraph(body)));
    }
  }
  return out;
}

function startsBlock(line) {
  return FENCE.test(line) || HEADING.test(line) || QUOTE.test(line) || ITEM.test(line) || RULE.test(line);
}

/** Lines joined; a line ending in two spaces or a backslash breaks there. */
function paragraph(lines) {
  const nodes = [];
  lines.forEach((line, index) => {
    const last = index === lines.length - 1;
    const hard = !last && / {2,}$|\\$/.test(line);
    nodes.push(...inline(hard ? line.replace(/ {2,}$|\\$/, "") : line.trimEnd()));
    if (!last) nodes.push(hard ? el("br") : document.createTextNode("\n"));
  });
  return nodes;
}

function codeBlock(code, language) {
  const attributes = { className: "md-code" };
  if (language) attributes["data-language"] = language;
  return el("pre", attributes, el("code", {}, code));
}

/** A list from lines[start]; items hold what is indented under them. Returns the next line index. */
function list(lines, start, out) {
  const first = ITEM.exec(lines[start]);
  const indent = first[1].length;
  const ordered = /\d/.test(first[2]);
  const items = [];
  let i = start;
  while (i < lines.length) {
    const match = ITEM.exec(lines[i]);
    if (!match || match[1].length !== indent || /\d/.test(match[2]) !== ordered) break;
    const contentIndent = match[1].length + match[2].length + 1;
    const body = [match[3]];
    i += 1;
    while (i < lines.length) {
      const next = lines[i];
      const nested = ITEM.exec(next);
      if (BLANK.test(next)) {
        const after = lines[i + 1];
        if (after === undefined || leading(after) < contentIndent) break;
        body.push("");
      } else if (leading(next) >= Math.min(contentIndent, indent + 2)) {
        body.push(next.slice(Math.min(leading(next), contentIndent)));
      } else if (!nested && !startsBlock(next) && body[body.length - 1] !== "") {
        body.push(next.trimStart()); // a lazy continuation of the item's text
      } else {
        break;
      }
      i += 1;
    }
    const content = blocks(body);
    // A tight item (one paragraph, maybe a nested list) shows its text without paragraph spacing.
    if (content[0] && content[0].tagName === "P" && !body.includes("")) content.splice(0, 1, ...content[0].childNodes);
    items.push(el("li", {}, content));
    while (i < lines.length && BLANK.test(lines[i]) && lines[i + 1] !== undefined && ITEM.test(lines[i + 1])
      && ITEM.exec(lines[i + 1])[1].length === indent) i += 1; // a loose list goes on after a blank line
  }
  const attributes = {};
  if (ordered && parseInt(first[2], 10) !== 1) attributes.start = String(parseInt(first[2], 10));
  out.push(el(ordered ? "ol" : "ul", attributes, items));
  return i;
}

function leading(line) {
  return line.length - line.trimStart().length;
}

function table(lines, start, out) {
  const cells = (line) => line.trim().replace(/^\|/, "").replace(/\|$/, "").split("|").map((cell) => cell.trim());
  const head = cells(lines[start]);
  const rows = [];
  let i = start + 2;
  while (i < lines.length && lines[i].includes("|") && !BLANK.test(lines[i])) rows.push(cells(lines[i++]));
  out.push(el("div", { className: "md-table" }, el("table", {}, [
    el("thead", {}, el("tr", {}, head.map((cell) => el("th", {}, inline(cell))))),
    el("tbody", {}, rows.map((row) => el("tr", {}, head.map((_, n) => el("td", {}, inline(row[n] || "")))))),
  ])));
  return i;
}

// Inline: code spans first (their content is literal), then links, bare URLs, emphasis and escapes.
const INLINE = new RegExp([ // (spans are bounded, so a long line full of unmatched markers stays linear)
  /(`+)([^`]|[^`][\s\S]{0,4000}?[^`])\1(?!`)/.source, // 1, 2: code span
  /\[([^\]\n]{1,1000})\]\(\s*<?([^)\s>]{1,2000})>?(?:\s+"[^"\n]{0,1000}")?\s*\)/.source, // 3, 4: link
  /<((?:https?|mailto):[^>\s]{1,2000})>/.source, // 5: autolink
  /(https?:\/\/[^\s<>]{0,2000}[^\s<>.,;:!?'")\]*_])/.source, // 6: bare URL
  /\*\*(?=\S)([\s\S]{0,2000}?\S)\*\*/.source, // 7: bold
  /(?<![\w])__(?=\S)([\s\S]{0,2000}?\S)__(?![\w])/.source, // 8: bold
  /~~(?=\S)([\s\S]{0,2000}?\S)~~/.source, // 9: strike-through
  /\*(?=[^\s*])([\s\S]{0,2000}?[^\s*])\*/.source, // 10: italic
  /(?<![\w])_(?=[^\s_])([\s\S]{0,2000}?[^\s_])_(?![\w])/.source, // 11: italic
  /\\([!-/:-@[-`{-~])/.source, // 12: escaped punctuation
].join("|"), "g");

function inline(text) {
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(INLINE)) {
    if (match.index > last) nodes.push(document.createTextNode(text.slice(last, match.index)));
    last = match.index + match[0].length;
    if (match[2] !== undefined) {
      const code = match[2].length > 2 && /^ .* $/.test(match[2]) ? match[2].slice(1, -1) : match[2];
      nodes.push(el("code", {}, code));
    } else if (match[3] !== undefined) {
      nodes.push(link(match[4], inline(match[3]), match[0]));
    } else if (match[5] !== undefined) {
      nodes.push(link(match[5], [match[5]], match[0]));
    } else if (match[6] !== undefined) {
      nodes.push(link(match[6], [match[6]], match[0]));
    } else if (match[7] !== undefined || match[8] !== undefined) {
      nodes.push(el("strong", {}, inline(match[7] ?? match[8])));
    } else if (match[9] !== undefined) {
      nodes.push(el("del", {}, inline(match[9])));
    } else if (match[10] !== undefined || match[11] !== undefined) {
      nodes.push(el("em", {}, inline(match[10] ?? match[11])));
    } else {
      nodes.push(document.createTextNode(match[12]));
    }
  }
  if (last < text.length) nodes.push(document.createTextNode(text.slice(last)));
  return nodes;
}

/** A link when the URL is http(s) or mailto; otherwise the source text, shown as it was written. */
function link(target, children, source) {
  const url = safeUrl(target);
  if (!url) return document.createTextNode(source);
  return el("a", { href: url.href, target: "_blank", rel: "noopener noreferrer nofollow" }, children);
}
