// Deleting one's own comment: the confirmation under its actions, then
// the delete; a comment with replies stays as a placeholder. Loaded when
// a reader first asks to delete (thread.js).
import { h } from "./dom.js";
import { t } from "./i18n.js";
import { api } from "./api.js";

export function confirmDelete(ctx, entry, button) {
  const actions = button.parentElement;
  const row = h("div", { class: "confirm", role: "group", "aria-label": t("confirm_delete") },
    h("span", null, t("confirm_delete")), " ",
    h("button", { type: "button", class: "danger", onclick: () => remove(ctx, entry, row) }, t("delete")), " ",
    h("button", { type: "button", onclick: () => { row.remove(); actions.hidden = false; button.focus(); } }, t("cancel")));
  actions.hidden = true;
  actions.after(row);
  row.querySelector("button.danger").focus();
}

async function remove(ctx, entry, row) {
  try {
    await api("DELETE", "/api/v1/comments/" + entry.data.id);
  } catch (err) {
    row.append(h("p", { class: "error", role: "alert" }, err.detail || t("network_error")));
    return;
  }
  // Replies shown beside it (at the deepest level) keep it as a placeholder too.
  const hasReplies = [...ctx.index.values()].some((e) => e.data.parent_id === entry.data.id);
  const wasPublished = entry.data.status === "published";
  const next = entry.li.nextElementSibling || entry.li.parentElement.closest("li") || null;
  if (hasReplies) {
    ctx.replaceArticle(entry, { status: "deleted", html: "", author: null, is_mine: false }).focus();
  } else {
    entry.li.remove();
    ctx.index.delete(entry.data.id);
    const target = next ? next.querySelector("article") : document.getElementById("heading");
    if (target) { if (!next) target.setAttribute("tabindex", "-1"); target.focus(); }
  }
  const s = ctx.state;
  if (wasPublished && s.story) { s.story.comment_count = Math.max(0, s.story.comment_count - 1); ctx.renderCount(); }
  ctx.announce(t("removed"));
}
