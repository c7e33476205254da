// @mention completion in the comment and reply boxes: typing @ and a few
// letters lists matching handles, first of this thread's authors, then from
// the server (GET /api/v1/users?prefix=, rate-limited), in an ARIA listbox
// the textarea controls (combobox): up and down choose, Enter or Tab takes
// one, Escape closes.
import { h, uid } from "./dom.js";
import { t } from "./i18n.js";
import { api } from "./api.js";

const MAX = 6;
const asked = new Map(); // prefix -> handles the server gave (or a promise of them)
const WORD = /(^|[^\w@])@([a-z0-9_]{1,30})$/i;

export function attach(area, ctx) {
  const id = uid("rm-");
  const box = h("ul", { class: "mentions", role: "listbox", id, "aria-label": t("mention_list"), hidden: true });
  area.setAttribute("role", "combobox");
  area.setAttribute("aria-autocomplete", "list");
  area.setAttribute("aria-expanded", "false");
  area.setAttribute("aria-controls", id);
  area.after(box);
  let shown = [], active = -1, start = -1, ticket = 0;

  const close = () => {
    box.hidden = true; box.textContent = ""; shown = []; active = -1;
    area.setAttribute("aria-expanded", "false");
    area.removeAttribute("aria-activedescendant");
  };
  const mark = (i) => {
    active = i;
    [...box.children].forEach((li, j) => li.setAttribute("aria-selected", j === i ? "true" : "false"));
    if (i >= 0) area.setAttribute("aria-activedescendant", box.children[i].id);
  };
  const take = (i) => {
    const p = shown[i];
    if (!p) return;
    const caret = area.selectionStart;
    const before = area.value.slice(0, start) + "@" + p.handle + " ";
    area.value = before + area.value.slice(caret);
    area.setSelectionRange(before.length, before.length);
    area.dispatchEvent(new Event("input", { bubbles: true }));
    close();
    area.focus();
  };
  const show = (people) => {
    shown = people.slice(0, MAX);
    box.textContent = "";
    if (!shown.length) { close(); return; }
    shown.forEach((p, i) => box.append(h("li", { role: "option", id: id + "-" + i, "aria-selected": "false",
      onmousedown: (e) => { e.preventDefault(); take(i); } },
      "@" + p.handle, p.display_name ? h("span", { class: "handle" }, " " + p.display_name) : null)));
    box.hidden = false;
    area.setAttribute("aria-expanded", "true");
    mark(0);
  };
  const query = async () => {
    const m = WORD.exec(area.value.slice(0, area.selectionStart));
    if (!m) { close(); return; }
    const prefix = m[2].toLowerCase();
    start = area.selectionStart - prefix.length - 1;
    const mine = ++ticket;
    const people = new Map();
    for (const e of ctx.index.values()) {
      const a = e.data.author;
      if (a && a.handle && a.handle.startsWith(prefix) && !(ctx.state.me && a.id === ctx.state.me.id)) people.set(a.handle, a);
    }
    show([...people.values()]);
    if (people.size >= MAX || prefix.length < 2) return;
    if (!asked.has(prefix)) {
      asked.set(prefix, api("GET", "/api/v1/users?" + new URLSearchParams({ prefix }))
        .then((r) => r.data.users).catch(() => { asked.delete(prefix); return []; }));
    }
    const found = await asked.get(prefix);
    if (mine !== ticket) return;
    for (const p of found) if (!people.has(p.handle) && !(ctx.state.me && p.id === ctx.state.me.id)) people.set(p.handle, p);
    show([...people.values()]);
  };
  let timer = 0;
  area.addEventListener("input", (e) => {
    if (!e.isTrusted) return; // our own, after taking one
    clearTimeout(timer);
    timer = setTimeout(query, 150);
  });
  area.addEventListener("keydown", (e) => {
    if (box.hidden) return;
    if (e.key === "ArrowDown") { e.preventDefault(); mark((active + 1) % shown.length); }
    else if (e.key === "ArrowUp") { e.preventDefault(); mark((active + shown.length - 1) % shown.length); }
    else if ((e.key === "Enter" || e.key === "Tab") && active >= 0 && !e.ctrlKey && !e.metaKey) { e.preventDefault(); take(active); }
    else if (e.key === "Escape") { e.preventDefault(); e.stopPropagation(); close(); }
  });
  area.addEventListener("blur", () => setTimeout(close, 150));
}
