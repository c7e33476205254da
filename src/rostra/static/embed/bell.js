// The bell of a signed-in reader: the unread count in the thread's bar,
// kept live by the reader's own channel on the live stream (live.js hands
// on notification.created and notifications.read), and the list it opens:
// newest first, a page at a time, each item linking into its thread; mark
// read one by one or all; the per-kind settings (PATCH /api/v1/me).
import { h } from "./dom.js";
import { t, plural, ago, fullDate } from "./i18n.js";
import { api } from "./api.js";

let ctx = null, links = null;
let holder = null, button = null, panel = null;
let unread = 0;

export async function start(context, linking) {
  ctx = context; links = linking;
  holder = h("div", { class: "social", id: "social" });
  button = h("button", { type: "button", id: "bell", "aria-expanded": "false", "aria-controls": "notes",
    onclick: toggle }, icon(), h("span", { class: "n" }));
  holder.append(button);
  document.getElementById("authbar").before(holder);
  try { count((await api("GET", "/api/v1/notifications?limit=1")).data.unread_count); } catch (e) { count(0); }
}

// A bell drawn in SVG (an emoji needs a font the reader may not have).
function icon() {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  const path = document.createElementNS(ns, "path");
  for (const [k, v] of [["viewBox", "0 0 24 24"], ["width", "18"], ["height", "18"], ["aria-hidden", "true"], ["class", "icon"]]) svg.setAttribute(k, v);
  path.setAttribute("d", "M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1z");
  path.setAttribute("fill", "currentColor");
  svg.append(path);
  return svg;
}

export function stop() {
  if (holder) holder.remove();
  if (panel) panel.remove();
  holder = button = panel = null;
}

// From the live stream: a new notification, or some read elsewhere.
export function live(name, d) {
  if (!button || typeof d.unread_count !== "number") return;
  if (name !== "notification.created" && name !== "notifications.read") return;
  count(d.unread_count);
  if (name === "notification.created" && panel && !panel.hidden) fill(false);
}

function count(n) {
  unread = n;
  button.querySelector(".n").textContent = n ? String(n) : "";
  button.setAttribute("aria-label", plural("unread", n));
  if (n) button.dataset.unread = ""; else delete button.dataset.unread;
}

function toggle() {
  if (panel && !panel.hidden) { close(); return; }
  if (!panel) build();
  panel.hidden = false;
  button.setAttribute("aria-expanded", "true");
  fill(false);
  panel.querySelector("h3").focus();
}

function close() {
  panel.hidden = true;
  button.setAttribute("aria-expanded", "false");
  button.focus();
}

let list = null, more = null, next = null, note = null;

function build() {
  list = h("ul", { "aria-live": "polite" });
  more = h("button", { type: "button", hidden: true, onclick: () => fill(true) }, t("load_more"));
  note = h("p", { class: "notice", role: "status" });
  panel = h("section", { class: "notes", id: "notes", "aria-labelledby": "notes-h", hidden: true },
    h("div", { class: "notes-head" },
      h("h3", { id: "notes-h", tabindex: "-1" }, t("notifications")),
      h("span", null,
        h("button", { type: "button", class: "link", id: "read-all", onclick: readAll }, t("mark_all_read")), " ",
        h("button", { type: "button", class: "link", id: "note-settings", "aria-expanded": "false", onclick: settings }, t("settings")), " ",
        h("button", { type: "button", class: "link", onclick: close }, t("close")))),
    note, list, more);
  panel.addEventListener("keydown", (e) => { if (e.key === "Escape") close(); });
  document.querySelector("#rostra > .bar").after(panel);
}

async function fill(further) {
  try {
    const q = new URLSearchParams({ limit: "10" });
    if (further && next) q.set("cursor", next);
    const { data } = await api("GET", "/api/v1/notifications?" + q);
    if (!further) list.textContent = "";
    for (const n of data.items) list.append(item(n));
    if (!list.children.length) list.append(h("li", { class: "notice" }, t("no_notifications")));
    next = data.next_cursor;
    more.hidden = !next;
    count(data.unread_count);
    note.textContent = "";
  } catch (err) { note.textContent = err.detail || t("network_error"); }
}

function text(n) {
  const name = n.actor ? n.actor.display_name : t("unknown_author");
  if (n.kind === "like") return n.count > 1 ? plural("liked_many", n.count) : t("liked_one", { name });
  if (n.kind === "moderation") {
    if (n.action === "featured") return t("note_featured");
    return n.reason ? t("note_removed_reason", { reason: n.reason }) : t("note_removed");
  }
  return t("note_" + n.kind, { name });
}

function item(n) {
  const c = n.comment;
  const li = h("li", { class: n.read ? "read" : "unread", "data-id": n.id });
  const words = text(n);
  li.append(c
    ? h("a", { href: c.article_url, target: "_top", class: "go", onclick: (e) => open(e, n, li) }, words)
    : h("span", null, words));
  li.append(h("div", { class: "meta" },
    c ? c.story.title + " · " : "",
    h("time", { datetime: n.created_at, title: fullDate(n.created_at) }, ago(n.created_at))));
  if (!n.read) {
    li.append(h("button", { type: "button", class: "link read", onclick: () => markRead(n, li, true) }, t("mark_read")));
  }
  return li;
}

async function markRead(n, li, focus) {
  try {
    const { data } = await api("POST", "/api/v1/notifications/read", { ids: [n.id] });
    n.read = true;
    li.className = "read";
    const b = li.querySelector("button.read");
    if (b) b.remove();
    count(data.unread_count);
    if (focus) li.querySelector("a, span").focus();
  } catch (err) { note.textContent = err.detail || t("network_error"); }
}

async function readAll() {
  try {
    const { data } = await api("POST", "/api/v1/notifications/read", { all: true });
    count(data.unread_count);
    for (const li of list.querySelectorAll("li.unread")) {
      li.className = "read";
      const b = li.querySelector("button.read");
      if (b) b.remove();
    }
    note.textContent = t("all_read");
  } catch (err) { note.textContent = err.detail || t("network_error"); }
}

// A link into this article opens the comment here; another article's in the page.
function open(e, n, li) {
  if (!n.read) markRead(n, li, false);
  if (!links.here(n.comment.story)) return;
  e.preventDefault();
  links.goTo(n.comment.id);
}

const KINDS = ["reply", "like", "mention", "followed", "moderation"];
const MODES = ["digest", "immediate", "off"];

function settings(e) {
  const toggleButton = e.currentTarget;
  const old = panel.querySelector("form.note-settings");
  if (old) { old.remove(); toggleButton.setAttribute("aria-expanded", "false"); return; }
  toggleButton.setAttribute("aria-expanded", "true");
  const me = ctx.state.me || {};
  const status = h("p", { class: "notice", role: "status" });
  const save = async (change) => {
    try {
      const { data } = await api("PATCH", "/api/v1/me", change);
      ctx.state.me = Object.assign(ctx.state.me || {}, data);
      status.textContent = t("saved");
    } catch (err) { status.textContent = err.detail || t("network_error"); }
  };
  const boxes = KINDS.map((k) => {
    const id = "nk-" + k;
    const box = h("input", { type: "checkbox", id, name: k, checked: !me.notify || me.notify[k] !== false,
      onchange: () => save({ notify: { [k]: box.checked } }) });
    return h("div", null, box, " ", h("label", { for: id }, t("kind_" + k)));
  });
  const mode = h("select", { id: "mail-mode", onchange: () => save({ mail_mode: mode.value }) },
    MODES.map((m) => h("option", { value: m, selected: me.mail_mode === m }, t("mail_" + m))));
  const priv = h("input", { type: "checkbox", id: "is-private", checked: !!me.is_private,
    onchange: () => save({ is_private: priv.checked }) });
  const form = h("form", { class: "note-settings", onsubmit: (ev) => ev.preventDefault() },
    h("fieldset", null, h("legend", null, t("notify_about")), boxes),
    h("div", { class: "row" }, h("label", { for: "mail-mode" }, t("mail_mode")), " ", mode),
    h("div", { class: "row" }, priv, " ", h("label", { for: "is-private" }, t("private_activity"))),
    status);
  panel.querySelector(".notes-head").after(form);
  form.querySelector("input").focus();
}
