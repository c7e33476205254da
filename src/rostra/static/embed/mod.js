// The moderation part of the embed (docs/embed.md, "Moderation: what
// readers see"), loaded after the first comments show: the editors' pick
// and staff marks, the "Editors' picks" tab (tabs.js) while the page has a
// pick, a "Report" button on every published comment but the reader's own
// (the dialog is report.js), the reason on the author's own removed comment
// (and no "Reply" on their held or removed ones), and "Post anyway" beside
// the composer's rephrase_suggested. It works on whatever comment.js draws,
// as it is drawn, so the thread's modules need no hook.
import { h } from "./dom.js";
import { t, config, addStrings } from "./i18n.js";

// Its own strings and style, kept out of the page every reader loads.
addStrings(await fetch("/embed/strings/mod." + config.lang + ".json").then((r) => r.json()).catch(() => ({})));
document.head.append(h("link", { rel: "stylesheet", href: new URL("./mod.css", import.meta.url).href }));

let ctx = null;
let tabs = null; // tabs.js, once the page has had a pick
// Authors seen with the badge: live events and the answer to a post carry
// none (the server looks roles up for pages only), so it is taken from here.
const staff = new Set();

export function start(context) {
  ctx = context;
  mark(ctx.list);
  new MutationObserver((changes) => {
    for (const m of changes) for (const n of m.addedNodes) if (n.querySelectorAll) mark(n);
    picks();
  }).observe(ctx.list, { childList: true, subtree: true });
  picks();
  ctx.list.addEventListener("click", (e) => {
    const b = e.target.closest('button[data-action="report"]');
    const entry = b && ctx.index.get(Number(b.closest("li.comment").dataset.id));
    if (!entry) return;
    // Reports are for signed-in readers: anyone else is asked to sign in.
    if (!ctx.state.me) { const s = document.getElementById("signin"); if (s) s.click(); return; }
    import("./report.js").then((r) => r.open(entry, b));
  });
  document.addEventListener("rostra:refused", nudge);
}

// Every article under `root` (itself included), once each: a re-drawn
// article (an edit, a live update) is a new element and is marked again.
function mark(root) {
  const arts = root.matches && root.matches("article") ? [root] : root.querySelectorAll("article");
  for (const art of arts) {
    const li = art.parentElement;
    const entry = li && ctx.index.get(Number(li.dataset.id));
    if (!entry || art.dataset.marked) continue;
    art.dataset.marked = "1";
    const c = entry.data;
    li.classList.toggle("pick", !!c.is_featured && c.status === "published");
    if (c.status === "deleted") continue;
    const name = art.querySelector("header .author");
    if (c.author && c.author.is_staff) staff.add(c.author.id);
    if (name) {
      name.after(
        c.author && staff.has(c.author.id) ? h("span", { class: "mark staff" }, t("staff")) : "",
        c.is_featured && c.status === "published" ? h("span", { class: "mark pick" }, t("featured")) : "");
    }
    if (c.status === "rejected" && c.moderation_reason) {
      art.querySelector("header").after(h("p", { class: "reason" }, t("removed_reason", { reason: c.moderation_reason })));
    }
    const actions = art.querySelector(".actions");
    // A held or removed comment takes no replies (422 parent_not_published).
    const reply = c.status !== "published" && actions && actions.querySelector('[data-action="reply"]');
    if (reply) reply.remove();
    if (actions && !c.is_mine && c.status === "published") {
      actions.append(h("button", { type: "button", class: "report", "data-action": "report", "aria-haspopup": "dialog" }, t("report")));
    }
  }
}

// The tab shows while the page has a pick (featured comments come first on
// a story's first page), and goes when the last one does.
async function picks() {
  const any = !!ctx.list.querySelector("li.pick");
  if (!any && !tabs) return;
  tabs = tabs || await import("./tabs.js");
  if (any) tabs.addTab("picks", t("tab_picks"));
  else tabs.removeTab("picks");
}

// The server asks once: the same text sent again posts as it is.
function nudge(e) {
  const form = e.target;
  if (e.detail.code !== "rephrase_suggested" || form.querySelector(".nudge")) return;
  const row = h("p", { class: "nudge" }, t("nudge_hint"), " ",
    h("button", { type: "button", class: "anyway", onclick: () => { row.remove(); form.requestSubmit(); } }, t("post_anyway")));
  form.querySelector(".error").after(row);
  const area = form.querySelector("textarea");
  area.addEventListener("input", () => row.remove(), { once: true });
}
