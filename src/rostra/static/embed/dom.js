// Tiny element builder. Strings become text nodes, never markup: the only
// place that sets innerHTML is comment.js, for the server-sanitized `html`.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const k in attrs || {}) {
    const v = attrs[k];
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "string" ? document.createTextNode(c) : c);
  }
  return el;
}

let seq = 0;
export function uid(prefix) { seq += 1; return prefix + seq; }

export function showError(el, err, fallback) {
  el.textContent = (err && err.detail) || fallback;
  el.hidden = false;
}
