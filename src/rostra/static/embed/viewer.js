// The signed-in reader's own state, laid over the page every reader gets
// (docs/api.md, "viewer"): which comments they like, which are theirs, and
// their held ones. Loaded only when a page comes with a viewer.
import { renderComment, place } from "./comment.js";
import { t, plural, config } from "./i18n.js";
import { api } from "./api.js";

// A like or an unlike, updated in place (only a signed-in reader gets here).
export async function like(entry, button, alertBox) {
  const liked = button.getAttribute("aria-pressed") === "true";
  try {
    const { data } = await api(liked ? "DELETE" : "PUT", "/api/v1/comments/" + entry.data.id + "/reactions/like");
    entry.data.liked = data.liked; entry.data.like_count = data.like_count;
    button.setAttribute("aria-pressed", data.liked ? "true" : "false");
    button.setAttribute("aria-label", t("like") + ", " + plural("likes", data.like_count));
    button.querySelector(".n").textContent = " " + data.like_count;
    alertBox(null, "act");
  } catch (err) { alertBox(err, "act"); }
}

// Before a page (or more replies) is drawn: liked, is_mine, body and
// editable_until on the comments the reader likes or wrote, collapsed on
// those of readers they blocked.
export function lay(v, nodes) {
  const liked = new Set(v.liked), mine = new Map(v.mine.map((m) => [m.id, m]));
  const blocked = new Set(v.blocked);
  const walk = (list) => {
    for (const c of list) {
      c.liked = liked.has(c.id);
      c.collapsed = !!c.author && blocked.has(c.author.id);
      const m = mine.get(c.id);
      if (m) Object.assign(c, m, { is_mine: true });
      walk(c.replies || []);
    }
  };
  walk(nodes);
}

// After it is drawn: the held comments not shown yet. A top-level one goes
// first (newest) or last on the first page; a reply, once its thread shows,
// where comment.js `place` puts it, among its siblings by id. Replies shown
// under the top comment because this one was hidden move under it.
export function hold(v, list, index, closed, sort, first) {
  for (const held of v.held) {
    if (index.has(held.id)) continue;
    const c = Object.assign({}, held, { replies: [] });
    let li;
    if (!c.parent_id) {
      if (!first) continue;
      li = renderComment(c, closed, index);
      if (sort === "newest") list.prepend(li); else list.append(li);
    } else {
      const root = index.get(c.thread_id);
      if (!root) continue;
      const [ol, level] = place(c, index, root);
      li = renderComment(c, closed, index, level);
      ol.insertBefore(li, [...ol.children].find((x) => Number(x.dataset.id) > c.id) || null);
    }
    const own = index.get(c.id);
    if (own.level >= config.maxDepth) continue;
    const ol = li.querySelector(":scope > ol.replies");
    for (const e of index.values()) {
      if (!e.data.reply_to || e.data.reply_to.id !== c.id) continue;
      e.data.reply_to = null;
      const label = e.li.querySelector(":scope > article .reply-to");
      if (label) label.remove();
      ol.insertBefore(e.li, [...ol.children].find((x) => Number(x.dataset.id) > e.data.id) || null);
    }
  }
}
