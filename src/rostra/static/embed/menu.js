// The author menu, opened from an author's name on any comment: a small
// card (name, @handle, followers, comments), their profile page (/u/HANDLE,
// in a new tab), follow or unfollow, block or unblock. A private reader
// cannot be followed, and the menu says so. It never shows an email (the
// profile API has none).
import { h } from "./dom.js";
import { t, plural } from "./i18n.js";
import { api } from "./api.js";

let openMenu = null;

function closeMenu(focus) {
  if (!openMenu) return;
  const { el, button } = openMenu;
  el.remove();
  button.setAttribute("aria-expanded", "false");
  openMenu = null;
  if (focus) button.focus();
}

document.addEventListener("click", (e) => {
  if (openMenu && !openMenu.el.contains(e.target) && e.target !== openMenu.button) closeMenu(false);
});

export async function open(ctx, button, hooks) {
  const was = openMenu && openMenu.button;
  closeMenu(false);
  if (was === button) { button.focus(); return; }
  const handle = button.dataset.handle;
  const authorId = Number(button.dataset.author);
  // The menu holds only its items; the card and the notes sit beside it.
  const items = h("div", { role: "menu", "aria-label": t("author_menu", { name: button.textContent }) });
  const el = h("div", { class: "menu" }, items);
  openMenu = { el, button };
  button.setAttribute("aria-expanded", "true");
  button.closest("header").after(el);
  el.addEventListener("keydown", (e) => {
    const items = [...el.querySelectorAll('[role="menuitem"]:not([aria-disabled="true"])')];
    const i = items.indexOf(document.activeElement);
    if (e.key === "Escape") { e.preventDefault(); closeMenu(true); }
    else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const n = items.length;
      if (n) items[(i + (e.key === "ArrowDown" ? 1 : n - 1)) % n].focus();
    } else if (e.key === "Tab") closeMenu(false);
  });
  const note = h("p", { class: "notice", role: "status" });
  const profileLink = h("a", { role: "menuitem", href: "/u/" + encodeURIComponent(handle), target: "_blank",
    rel: "noopener", class: "profile" }, t("view_profile"));
  items.append(profileLink);
  profileLink.focus();
  let p;
  try {
    p = (await api("GET", "/api/v1/users/" + encodeURIComponent(handle))).data;
  } catch (err) {
    el.append(note);
    note.textContent = err.detail || t("network_error");
    return;
  }
  if (openMenu === null || openMenu.el !== el) return; // closed meanwhile
  el.prepend(h("p", { class: "card" }, h("strong", null, p.display_name), " @" + p.handle,
    h("br"), plural("followers", p.follower_count),
    p.comment_count === null ? "" : " · " + plural("comments_n", p.comment_count),
    p.is_staff ? " · " + t("staff_member") : ""));
  const me = ctx.state.me;
  if (me && me.id === p.id) { el.append(note); return; }
  if (!me) {
    items.append(h("button", { type: "button", role: "menuitem", class: "signin-to-follow", onclick: () => {
      closeMenu(false);
      const s = document.getElementById("signin");
      if (s) s.click();
    } }, t("sign_in_to_follow")));
    el.append(note);
    return;
  }
  const follow = h("button", { type: "button", role: "menuitem", class: "follow" });
  const block = h("button", { type: "button", role: "menuitem", class: "block" });
  const draw = () => {
    if (p.following) follow.textContent = t("unfollow", { name: p.display_name });
    else follow.textContent = t("follow", { name: p.display_name });
    // A private reader (or one who blocked you) cannot be followed.
    const can = p.following || p.can_follow;
    follow.hidden = !can;
    block.textContent = p.blocked ? t("unblock") : t("block");
  };
  follow.addEventListener("click", async () => {
    try {
      const { data } = await api(p.following ? "DELETE" : "PUT", "/api/v1/users/" + encodeURIComponent(handle) + "/follow");
      p.following = data.following; p.follower_count = data.follower_count;
      note.textContent = data.following ? t("now_following", { name: p.display_name }) : t("not_following", { name: p.display_name });
      draw();
      follow.focus();
    } catch (err) { note.textContent = err.detail || t("network_error"); }
  });
  block.addEventListener("click", async () => {
    try {
      const { data } = await api(p.blocked ? "DELETE" : "PUT", "/api/v1/users/" + encodeURIComponent(handle) + "/block");
      p.blocked = data.blocked;
      if (p.blocked) { p.following = false; p.can_follow = false; } else p.can_follow = !p.is_private;
      hooks.setBlocked(authorId, p.blocked);
      note.textContent = p.blocked ? t("now_blocked", { name: p.display_name }) : t("now_unblocked", { name: p.display_name });
      draw();
      block.focus();
    } catch (err) { note.textContent = err.detail || t("network_error"); }
  });
  items.append(follow, block);
  if (p.is_private && !p.following) el.append(h("p", { class: "notice private" }, t("private_no_follow")));
  el.append(note);
  draw();
}
