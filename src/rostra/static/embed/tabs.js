// The thread's tab bar: "All" (the thread itself) and the tabs other
// modules add. To add a tab: `addTab(key, label, render)`; `render(panel)`
// fills the tab's own panel each time the reader chooses it (the thread's
// list, sort and composer step aside meanwhile); `removeTab(key)` takes it
// away again. The bar shows only while there is a second tab.
import { h } from "./dom.js";
import { t } from "./i18n.js";

const main = document.getElementById("rostra");
const tabs = new Map(); // key -> {button, render}
let bar = null, panel = null;

function ensure() {
  if (bar) return;
  bar = h("div", { class: "tabs", role: "tablist", "aria-label": t("tabs_label") });
  panel = h("section", { class: "tabpanel", role: "tabpanel", id: "tabpanel", tabindex: "-1", hidden: true });
  bar.addEventListener("keydown", (e) => {
    if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
    const all = [...bar.children], i = all.indexOf(document.activeElement);
    const next = all[(i + (e.key === "ArrowRight" ? 1 : all.length - 1)) % all.length];
    if (next) { next.focus(); next.click(); }
  });
  document.querySelector(".tools").before(bar, panel);
  add("all", t("tab_all"), null);
}

function add(key, label, render) {
  const button = h("button", { type: "button", role: "tab", id: "tab-" + key, "data-tab": key,
    "aria-selected": "false", "aria-controls": key === "all" ? "list" : "tabpanel", tabindex: "-1",
    onclick: () => choose(key) }, label);
  tabs.set(key, { button, render });
  bar.append(button);
  if (key === "all") { button.setAttribute("aria-selected", "true"); button.removeAttribute("tabindex"); }
}

export function addTab(key, label, render) {
  ensure();
  if (!tabs.has(key)) add(key, label, render);
  bar.hidden = tabs.size < 2;
}

export function removeTab(key) {
  const tab = tabs.get(key);
  if (!tab) return;
  if (current() === key) choose("all");
  tab.button.remove();
  tabs.delete(key);
  bar.hidden = tabs.size < 2;
}

export function current() { return main.dataset.tab || "all"; }

export function choose(key) {
  const tab = tabs.get(key);
  if (!tab) return;
  for (const [k, other] of tabs) {
    other.button.setAttribute("aria-selected", k === key ? "true" : "false");
    if (k === key) other.button.removeAttribute("tabindex"); else other.button.setAttribute("tabindex", "-1");
  }
  if (key === "all") delete main.dataset.tab; else main.dataset.tab = key;
  panel.hidden = key === "all";
  panel.textContent = "";
  if (tab.render) { panel.setAttribute("aria-labelledby", "tab-" + key); tab.render(panel); }
}
