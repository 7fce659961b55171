// A small element builder. Text is always set as text (textContent / text nodes), never as HTML.

/**
 * el("button", {className: "x", type: "button", "data-id": id}, ["text", otherElement])
 * Attributes: className, hidden, and anything else via setAttribute. Children: strings become text nodes.
 */
export function el(tag, attributes = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "className") node.className = value;
    else if (name === "hidden") node.hidden = Boolean(value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of Array.isArray(children) ? children : [children]) {
    if (child === undefined || child === null || child === false) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

export function $(selector) {
  return document.querySelector(selector);
}
