// The social part of the embed (docs/embed.md, "Readers, follows and
// notifications"), loaded after the first comments show: author names
// become buttons that open the author menu (menu.js), with the @handle
// beside them; comments of readers the viewer blocked come collapsed; a
// signed-in reader gets the bell (bell.js), the Following tab (feed.js) and
// @mention completion (mention.js); a deep link (#rostra-comment-ID on the
// article) opens the thread at that comment (deeplink.js).
import { h } from "./dom.js";
import { t, config, addStrings } from "./i18n.js";
import { addTab, removeTab } from "./tabs.js";
import { onHostMessage } from "./frame.js";

// Its own strings and style, kept out of the page every reader loads.
addStrings(await fetch("/embed/strings/social." + config.lang + ".json").then((r) => r.json()).catch(() => ({})));
document.head.append(h("link", { rel: "stylesheet", href: new URL("./social.css", import.meta.url).href }));

let ctx = null;
let bell = null; // bell.js while a reader is signed in
let who = null; // the reader the bell and the tab are for

export function start(context) {
  ctx = context;
  decorate(ctx.list);
  new MutationObserver((changes) => {
    for (const m of changes) for (const n of m.addedNodes) if (n.querySelectorAll) decorate(n);
  }).observe(ctx.list, { childList: true, subtree: true });
  ctx.list.addEventListener("click", (e) => {
    const b = e.target.closest("button.author");
    if (b) import("./menu.js").then((m) => m.open(ctx, b, { setBlocked }));
    const u = e.target.closest("button.unfold");
    if (u) unfold(u);
  });
  // Sign-in and sign-out re-draw the bar: the bell and the tab follow.
  new MutationObserver(signedIn).observe(document.getElementById("authbar"), { childList: true });
  signedIn();
  document.addEventListener("focusin", (e) => {
    const a = e.target;
    if (a.matches && a.matches("#rostra form.composer textarea") && !a.dataset.mentions) {
      a.dataset.mentions = "1";
      import("./mention.js").then((m) => m.attach(a, ctx));
    }
  });
  window.addEventListener("rostra:live", (e) => { if (bell) bell.live(e.detail[0], e.detail[1]); });
  if (config.comment) goTo(config.comment);
  // The host page's address changed to another comment's (#rostra-comment-ID).
  onHostMessage((msg) => { if (msg.rostra === "comment" && Number.isInteger(msg.id)) goTo(msg.id); });
}

// The comment in this thread (`id`), scrolled to and highlighted.
export async function goTo(id) {
  const d = await import("./deeplink.js");
  return d.go(ctx, id);
}

// Whether a link into a thread (`article_url`) is to this article.
export function here(story) { return !!(story && ctx.state.story && story.id === ctx.state.story.id); }

function decorate(root) {
  for (const strong of root.querySelectorAll("article header strong.author")) {
    const li = strong.closest("li.comment");
    const e = li && ctx.index.get(Number(li.dataset.id));
    const a = e && e.data.author;
    if (!a || !a.handle) continue;
    strong.replaceWith(
      h("button", { type: "button", class: "author", "aria-haspopup": "menu", "aria-expanded": "false",
        "data-handle": a.handle, "data-author": a.id }, a.display_name),
      h("span", { class: "handle" }, "@" + a.handle));
    if (e.data.collapsed) fold(e, true);
  }
}

function fold(e, on) {
  const art = e.li.querySelector(":scope > article");
  if (!art) return;
  const note = art.querySelector(":scope > .unfold");
  art.classList.toggle("collapsed", on);
  if (!on) { if (note) note.remove(); return; }
  if (!note) {
    art.querySelector("header").after(h("button", { type: "button", class: "unfold link", "aria-expanded": "false" },
      t("blocked_collapsed")));
  }
}

function unfold(button) {
  const art = button.closest("article");
  const open = art.classList.toggle("collapsed");
  button.setAttribute("aria-expanded", open ? "false" : "true");
  button.textContent = open ? t("blocked_collapsed") : t("blocked_hide");
}

// After a block or an unblock: that reader's comments fold or open at once.
export function setBlocked(authorId, on) {
  for (const e of ctx.index.values()) {
    if (!e.data.author || e.data.author.id !== authorId) continue;
    e.data.collapsed = on;
    fold(e, on);
  }
}

async function signedIn() {
  const me = ctx.state.me;
  if ((me && me.id) === (who && who.id)) return;
  who = me;
  if (bell) { bell.stop(); bell = null; }
  removeTab("following");
  if (!me) return;
  const [b] = await Promise.all([import("./bell.js")]);
  if (who !== me) return; // signed out meanwhile
  bell = b;
  bell.start(ctx, { goTo, here });
  addTab("following", t("tab_following"), (panel) => import("./feed.js").then((f) => f.render(panel, ctx, { goTo, here })));
}
