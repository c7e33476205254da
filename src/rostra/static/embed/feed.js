// The Following tab: the newest comments of the readers the signed-in
// reader follows, on this site (GET /api/v1/feed), a page at a time; each
// with its article's title and a link into the thread at that comment.
import { h } from "./dom.js";
import { t, ago, fullDate, config } from "./i18n.js";
import { api } from "./api.js";
import { renderArticle } from "./comment.js";

export async function render(panel, ctx, links) {
  const list = h("ol", { class: "feed", "aria-label": t("tab_following") });
  const note = h("p", { class: "notice", role: "status" });
  const more = h("button", { type: "button", class: "more-feed", hidden: true }, t("load_more"));
  panel.append(note, list, more);
  let next = null;
  const page = async () => {
    more.disabled = true;
    try {
      const q = new URLSearchParams({ url: config.url, limit: "10" });
      if (next) q.set("cursor", next);
      const { data } = await api("GET", "/api/v1/feed?" + q);
      const first = list.children.length;
      for (const c of data.items) list.append(item(c, links));
      next = data.next_cursor;
      more.hidden = !next;
      note.textContent = list.children.length ? "" : t("feed_empty");
      const fresh = list.children[first];
      if (first && fresh) fresh.querySelector("a").focus();
    } catch (err) { note.textContent = err.detail || t("network_error"); }
    more.disabled = false;
  };
  more.addEventListener("click", page);
  await page();
}

function item(c, links) {
  const a = c.author;
  // Its sanitized HTML, drawn as in the thread (comment.js), without the rest.
  const body = renderArticle({ id: c.id, status: "published", html: c.html, created_at: c.created_at }, true).querySelector(".body");
  return h("li", { "data-id": c.id },
    h("div", { class: "meta" },
      a ? h("strong", null, a.display_name) : null, a ? " @" + a.handle + " · " : "",
      h("time", { datetime: c.created_at, title: fullDate(c.created_at) }, ago(c.created_at))),
    body,
    h("a", { href: c.article_url, target: "_top", class: "go", onclick: (e) => {
      if (!links.here(c.story)) return; // another article: the page opens at the comment
      e.preventDefault();
      links.goTo(c.id);
    } }, t("feed_in_thread", { title: c.story.title })));
}
