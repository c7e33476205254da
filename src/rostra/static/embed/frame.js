// The iframe's side of the conversation with the loader on the host page.
// It only ever posts to the host origin the server validated against the
// site's configured origins, and only accepts messages from that origin.
import { config } from "./i18n.js";

const embedded = window.parent !== window && !!config.origin;

export function toHost(msg) {
  if (embedded) window.parent.postMessage(msg, config.origin);
}

export function onHostMessage(handler) {
  if (!embedded) return;
  window.addEventListener("message", (e) => {
    if (e.origin !== config.origin || e.source !== window.parent) return;
    if (e.data && typeof e.data.rostra === "string") handler(e.data);
  });
}

// Keep the iframe exactly as tall as the thread, so the host page scrolls it.
export function fitHeight() {
  if (!embedded) return;
  let last = 0;
  const send = () => {
    const height = Math.ceil(document.body.getBoundingClientRect().height);
    if (height !== last) { last = height; toHost({ rostra: "resize", height }); }
  };
  if ("ResizeObserver" in window) new ResizeObserver(send).observe(document.body);
  else setInterval(send, 500);
  send();
}

// Reads `sub` and the profile claims from an SSO token without verifying it
// (the server verifies); used only to skip exchanging a token for the reader
// who is already signed in with that same profile.
export function jwtClaims(jwt) {
  try {
    const p = JSON.parse(atob(jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    return [String(p.sub), JSON.stringify([p.name, p.email, p.avatar])];
  } catch (e) { return [null, null]; }
}

// The host page's look, as the server worked it out from what the loader
// read (embed/look.py): the scheme, whether to paint a panel, and the custom
// properties over the scheme's colours, set through the CSSOM (the page's
// policy allows no style attribute). A page that changes its look (a
// dark-mode switch) has it worked out again; the latest answer wins.
let asked = 0;
function paint(look) {
  const root = document.documentElement;
  if (look.theme) root.dataset.theme = look.theme;
  root.toggleAttribute("data-panel", look.panel);
  root.style.cssText = "";
  for (const k in look.props) root.style.setProperty(k, look.props[k]);
}
export async function restyle(msg) {
  const ticket = ++asked;
  const q = new URLSearchParams({ accent: config.look.accent || "" });
  for (const k of ["theme", "bg", "fg", "font"]) q.set(k, msg[k]);
  try {
    const look = await (await fetch("/embed/look?" + q)).json();
    if (ticket === asked) paint(look);
  } catch (e) { /* keep the look it has */ }
}
if (config.look) {
  paint(config.look);
  for (const k of config.look.ignored) console.warn("Rostra: ignored the " + k + " given (docs/embed.md)");
}
