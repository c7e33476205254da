// Opens the thread at one comment (a deep link: ARTICLE#rostra-comment-ID,
// or a link from the bell, the Following tab, a profile): loads further
// pages until its thread shows, then further replies of that thread until
// it shows, and scrolls it into view, highlighted and focused. The server
// says which thread it belongs to (GET /api/v1/comments/{id}/context).
import { t } from "./i18n.js";
import { api } from "./api.js";
import { toHost } from "./frame.js";

const MAX_PAGES = 50;

export async function go(ctx, id) {
  const { index, state } = ctx;
  let e = index.get(id);
  if (!e) {
    let c;
    try { c = (await api("GET", "/api/v1/comments/" + id + "/context")).data; } catch (err) { c = null; }
    if (c && state.story && c.story_id === state.story.id) {
      for (let n = 0; !index.has(c.thread_id) && state.next && n < MAX_PAGES; n++) await ctx.load(true);
      const root = index.get(c.thread_id);
      for (let n = 0; root && !index.has(id) && n < MAX_PAGES; n++) {
        const more = root.li.querySelector(":scope > button.more-replies");
        if (!more) break;
        await ctx.moreReplies(root, more);
      }
    }
    e = index.get(id);
  }
  if (!e) { ctx.announce(t("link_gone")); return false; }
  // Another tab (Following, Editors' picks) may be hiding it: back to All.
  const all = document.getElementById("tab-all");
  if (all && all.getAttribute("aria-selected") !== "true") all.click();
  for (const old of document.querySelectorAll("article.target")) old.classList.remove("target");
  const art = e.li.querySelector(":scope > article");
  art.classList.add("target");
  art.focus({ preventScroll: true });
  if (window.parent === window) art.scrollIntoView({ block: "center" });
  else {
    // The host page scrolls (the iframe is as tall as the thread), once it
    // has the thread's new height.
    window.scrollTo(0, 0);
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 50)));
    toHost({ rostra: "resize", height: Math.ceil(document.body.getBoundingClientRect().height),
      at: Math.round(art.getBoundingClientRect().top) });
  }
  return true;
}
