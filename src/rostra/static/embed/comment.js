// Builds the DOM of one comment (and, recursively, its replies). Buttons only
// carry data-action; thread.js handles them by delegation.
import { h } from "./dom.js";
import { t, plural, ago, fullDate, config } from "./i18n.js";

export function editable(c) {
  return c.is_mine && c.status !== "deleted" && c.editable_until && new Date(c.editable_until) > new Date();
}

function likeButton(c) {
  if (c.is_mine) return h("span", { class: "likes" }, plural("likes", c.like_count || 0));
  return h("button", {
    type: "button", class: "like", "data-action": "like", "aria-pressed": c.liked ? "true" : "false",
    "aria-label": t("like") + ", " + plural("likes", c.like_count || 0),
  }, h("span", { "aria-hidden": "true" }, "♥ "), t("like"), h("span", { class: "n", "aria-hidden": "true" }, " " + (c.like_count || 0)));
}

export function renderArticle(c, closed) {
  const name = c.author ? c.author.display_name : t("unknown_author");
  const to = c.reply_to && c.reply_to.display_name;
  const art = h("article", { id: "c" + c.id, tabindex: "-1", class: "c-" + c.status });
  if (c.status === "deleted") {
    art.setAttribute("aria-label", t("deleted"));
    art.append(h("p", { class: "deleted-note" }, t("deleted")));
    return art;
  }
  art.setAttribute("aria-label", t("comment_by", { name }));
  const avatar = c.author && c.author.avatar_url;
  const safeAvatar = avatar && /^(https:|\/)/.test(avatar) ? avatar : null;
  art.append(h("header", null,
    safeAvatar ? h("img", { class: "avatar", src: safeAvatar, alt: "", width: 28, height: 28, loading: "lazy" }) : null,
    h("strong", { class: "author" }, name),
    h("time", { datetime: c.created_at, title: fullDate(c.created_at) }, ago(c.created_at)),
    c.edited_at ? h("span", { class: "mark edited", title: fullDate(c.edited_at) }, t("edited")) : null,
    c.status === "pending" ? h("span", { class: "mark pending" }, t("pending")) : null,
    c.status === "rejected" ? h("span", { class: "mark pending" }, t("rejected")) : null,
    c.reply_to ? h("span", { class: "reply-to" }, to ? t("reply_to", { name: to }) : t("reply_to_other")) : null));
  const body = h("div", { class: "body" });
  body.innerHTML = c.html; // sanitized by the server at write time (markdown-it + nh3)
  art.append(body);
  art.append(h("div", { class: "actions" },
    likeButton(c),
    closed ? null : h("button", { type: "button", "data-action": "reply" }, t("reply")),
    editable(c) ? h("button", { type: "button", "data-action": "edit", "data-until": c.editable_until }, t("edit")) : null,
    c.is_mine ? h("button", { type: "button", "data-action": "delete" }, t("delete")) : null));
  return art;
}

// `level`: how deep it is shown (0 for a top-level comment), as the server nests it.
export function renderComment(c, closed, index, level = 0) {
  const li = h("li", { class: "comment", "data-id": c.id });
  index.set(c.id, { data: c, li, level });
  li.append(renderArticle(c, closed));
  const replies = h("ol", { class: "replies" });
  for (const r of c.replies || []) replies.append(renderComment(r, closed, index, level + 1));
  li.append(replies);
  if (c.replies_cursor) li.append(moreRepliesButton(c.replies_cursor));
  return li;
}

export function moreRepliesButton(cursor) {
  return h("button", { type: "button", class: "more-replies", "data-action": "more-replies", "data-cursor": cursor }, t("more_replies"));
}

// Where a reply added on this page (the reader's own, a further page) goes,
// by the server's rule (comments/threads.py, hang): into its parent's
// replies while the parent is above the deepest level shown, else beside
// the parent, saying whom it answers; under the thread's top comment
// (`root`) when the parent is not shown. Sets c.reply_to; returns the list
// and the level.
export function place(c, index, root) {
  const p = index.get(c.parent_id), beside = p && p.level >= config.maxDepth;
  c.reply_to = !p ? c.reply_to || { id: c.parent_id, display_name: null }
    : beside ? { id: p.data.id, display_name: p.data.author && p.data.author.display_name } : null;
  return beside ? [p.li.parentElement, p.level] : [(p || root).li.querySelector(":scope > ol.replies"), p ? p.level + 1 : 1];
}
