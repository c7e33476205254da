// The thread's tab bar, loaded on demand: "All" (the thread as it is) and
// the tabs other modules add. The bar shows only while there is a second tab.
//
// To add a tab: `import { addTab } from "./tabs.js"` and call
//   addTab(key, label, render)
// - render a function (a panel tab, e.g. "Following"): each time the reader
//   chooses the tab, the thread's list, sort and "load more" step aside and
//   render(panel) fills the tab's own, emptied panel;
// - render null (a view of the thread, e.g. "Editors' picks"): the thread's
//   list stays and `main[data-view="KEY"]` lets a style sheet choose what of
//   it shows (mod.css hides every thread without a pick).
// Tabs sit in the order added; removeTab(key) takes one away (back to "All"
// if it was chosen); current() says which is chosen, choose(key) chooses.
// Keyboard: arrows, Home and End move between tabs (roving tabindex).
import { h } from "./dom.js";
import { t } from "./i18n.js";

const main = document.getElementById("rostra");
const tabs = new Map(); // key -> {button, render}
let bar = null, panel = null;
document.head.append(h("link", { rel: "stylesheet", href: new URL("./tabs.css", import.meta.url).href }));

function ensure() {
  if (bar) return;
  bar = h("div", { class: "tabs", role: "tablist", "aria-label": t("tabs_label"), hidden: true });
  panel = h("section", { class: "tabpanel", role: "tabpanel", id: "tabpanel", tabindex: "-1", hidden: true });
  bar.addEventListener("keydown", (e) => {
    const all = [...bar.children], i = all.indexOf(document.activeElement);
    const to = { ArrowRight: i + 1, ArrowLeft: i - 1 + all.length, Home: 0, End: all.length - 1 }[e.key];
    if (to === undefined || i < 0) return;
    e.preventDefault();
    const next = all[to % all.length];
    next.focus();
    choose(next.dataset.tab);
  });
  document.querySelector(".tools").before(bar, panel);
  add("all", t("tab_all"), null);
  select("all");
}

function add(key, label, render) {
  const button = h("button", { type: "button", role: "tab", id: "tab-" + key, "data-tab": key,
    "aria-selected": "false", "aria-controls": render ? "tabpanel" : "list", tabindex: "-1",
    onclick: () => choose(key) }, label);
  tabs.set(key, { button, render });
  bar.append(button);
}

function select(key) {
  for (const [k, tab] of tabs) {
    tab.button.setAttribute("aria-selected", k === key ? "true" : "false");
    if (k === key) tab.button.removeAttribute("tabindex"); else tab.button.setAttribute("tabindex", "-1");
  }
}

export function addTab(key, label, render = null) {
  ensure();
  if (!tabs.has(key)) add(key, label, render);
  bar.hidden = tabs.size < 2;
}

export function removeTab(key) {
  const tab = tabs.get(key);
  if (!tab || key === "all") return;
  if (current() === key) choose("all");
  tab.button.remove();
  tabs.delete(key);
  bar.hidden = tabs.size < 2;
}

export function current() { return main.dataset.tab || main.dataset.view || "all"; }

export function choose(key) {
  const tab = tabs.get(key);
  if (!tab) return;
  select(key);
  delete main.dataset.tab;
  delete main.dataset.view;
  panel.textContent = "";
  panel.hidden = !tab.render;
  if (tab.render) {
    main.dataset.tab = key;
    panel.setAttribute("aria-labelledby", "tab-" + key);
    tab.render(panel);
  } else if (key !== "all") main.dataset.view = key;
  window.dispatchEvent(new CustomEvent("rostra:tab", { detail: key }));
}
