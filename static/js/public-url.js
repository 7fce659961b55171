// The tunnel's public URL (ENABLE_TUNNEL) under the session list, while there is one.
import { el, $ } from "./dom.js";

/** GET /public-url and show its URL as a link, or hide the line when there is none. */
export async function showPublicURL() {
  const line = $("#public-url");
  let url = null;
  try {
    const response = await fetch("/public-url", { credentials: "same-origin", cache: "no-store" });
    if (response.ok) url = (await response.json()).url;
  } catch { /* offline or not JSON: nothing to show */ }
  const usable = typeof url === "string" && /^https?:\/\//.test(url);
  line.replaceChildren(...(usable ? ["Public URL: ", el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, url)] : []));
  line.hidden = !usable;
}
