// The comment thread inside the iframe: loading, sorting, paging, posting,
// replying, editing, deleting, liking, and reacting to sign-in elsewhere.
import { h } from "./dom.js";
import { t, plural, ago, config } from "./i18n.js";
import { api, token, setToken, ssoSubject, onAuthChange, persisted } from "./api.js";
import { composer } from "./composer.js";
import { renderComment, renderArticle, moreRepliesButton, place } from "./comment.js";
import { toHost, onHostMessage, fitHeight, jwtClaims, restyle } from "./frame.js";

const $ = (id) => document.getElementById(id);
const list = $("list");
const index = new Map(); // comment id -> {data, li}
const state = { sort: $("sort").value || "newest", story: null, next: null, me: null, loading: 0 };
// Half-written comments outlive a re-render (sign-in or sign-out elsewhere,
// sort change): "" is the top box, a comment id that comment's reply form.
// Kept while signed out too, so they come back at the next sign-in.
const drafts = {};
let focused = null; // the draft whose box had focus
let live = null; // live.js, once the first comments show

function keepDrafts() {
  focused = null;
  for (const a of document.querySelectorAll("#compose textarea, li.comment > form.composer textarea")) {
    const li = a.closest("li.comment");
    const k = li ? li.dataset.id : "";
    drafts[k] = a.value;
    if (a === document.activeElement && document.hasFocus()) focused = k;
  }
}

function announce(text) {
  // Clearing first makes screen readers repeat an identical message.
  $("status").textContent = "";
  setTimeout(() => { $("status").textContent = text; }, 30);
}
// `source` lets a successful reload clear its own error without hiding, say,
// an SSO refusal that arrived meanwhile.
function alertBox(err, source) {
  const box = $("alert");
  if (!err && box.dataset.source !== source) return;
  box.textContent = err ? (err.detail || t("network_error")) : "";
  box.dataset.source = err ? source : "";
  box.hidden = !err;
}
const closed = () => !!(state.story && state.story.is_closed);
// What the modules loaded later (live, social, remove) work with.
const ctx = { state, index, list, closed, load, announce, renderCount, renderCompose, replaceArticle, moreReplies };

// --- loading -------------------------------------------------------------

async function load(more) {
  const ticket = ++state.loading; // a newer load (sort change, sign-in) wins
  const q = new URLSearchParams({ url: config.url, sort: state.sort, limit: String(config.pageSize || 20) });
  if (more && state.next) q.set("cursor", state.next);
  if (!more) announce(t("loading"));
  try {
    const { data } = await api("GET", "/api/v1/comments?" + q);
    const v = data.viewer && await import("./viewer.js"); // the reader's own state
    if (ticket !== state.loading) return;
    if (v) v.lay(data.viewer, data.comments);
    alertBox(null, "load");
    state.story = data.story;
    state.next = data.next_cursor;
    if (!more) { keepDrafts(); list.textContent = ""; index.clear(); }
    for (const c of data.comments) {
      // A comment posted here since the first page may come round again.
      if (!index.has(c.id)) list.append(renderComment(c, closed(), index));
    }
    if (v) v.hold(data.viewer, list, index, closed(), state.sort, !more);
    renderCount();
    if (!more) { renderCompose(); restoreReplies(); } // a later page must not wipe a half-written comment
    $("more").hidden = !state.next;
    $("empty").hidden = list.children.length > 0;
    if (!more) announce(plural("count", state.story.comment_count));
  } catch (err) {
    if (ticket === state.loading) alertBox(err, "load");
  }
}

function renderCount() {
  $("total").textContent = state.story ? "(" + state.story.comment_count + ")" : "";
}

// --- who is signed in ----------------------------------------------------

async function loadMe() {
  state.me = null;
  if (!token()) return;
  try {
    state.me = (await api("GET", "/api/v1/me")).data;
  } catch (err) {
    if (err.status === 401) setToken(null); // revoked or expired elsewhere
  }
}

function renderAuthBar() {
  const bar = $("authbar");
  bar.textContent = "";
  if (state.me) {
    bar.append(h("span", null, t("signed_in_as", { name: state.me.display_name })), " ",
      h("button", { type: "button", class: "link", id: "signout", onclick: () => signOut(1) }, t("sign_out")));
  } else {
    bar.append(h("button", { type: "button", class: "link", id: "signin", onclick: () => openAuth("signin") }, t("sign_in")), " ",
      h("button", { type: "button", class: "link", id: "register", onclick: () => openAuth("register") }, t("register")));
  }
}

function renderCompose() {
  const box = $("compose");
  box.textContent = "";
  if (closed()) { box.append(h("p", { class: "notice" }, t("closed"))); return; }
  if (!state.me) {
    box.append(h("p", { class: "notice ask" }, t("sign_in_to_comment"), " ",
      h("button", { type: "button", class: "link", onclick: () => openAuth("signin") }, t("sign_in"))));
    return;
  }
  const form = composer({ label: t("compose_label"), submitText: t("post"), initial: drafts[""],
    onSubmit: async (body, key) => { await post(body, null, key); form.clear(); } });
  box.append(form);
  if (focused === "") form.focusInput();
}

function restoreReplies() {
  if (!state.me || closed()) return;
  for (const k in drafts) {
    if (!k) continue;
    const entry = index.get(Number(k));
    if (entry && drafts[k]) openReply(entry, drafts[k], focused === k);
    delete drafts[k]; // the form holds it now; keepDrafts reads it back
  }
}

async function pageOnly() {
  if (!persisted()) (await import("./auth.js")).pageOnly($("authbar"));
}

async function openAuth(mode) {
  const auth = await import("./auth.js");
  auth.open($("authpanel"), mode, (user) => signedIn(user, 1));
}

// The thread is re-read first (is_mine, liked change) and the bar switched
// after, so nothing the reader opens meanwhile is wiped by the re-render.
// Focus moves only if the reader acted in here (`mine`), never for the host.
async function signedIn(user, mine) {
  $("authpanel").textContent = "";
  state.me = user;
  await load(false);
  renderAuthBar();
  if (live) live.restart();
  announce(t("now_signed_in", { name: user.display_name }));
  await pageOnly();
  if (mine) $("signout").focus();
}

async function signOut(mine) {
  // Forget the token here (and in every tab) first, then revoke it on the server.
  const tok = token();
  if (!tok && !state.me) return; // nobody to sign out
  setToken(null);
  if (tok) api("POST", "/api/v1/auth/logout", undefined, { Authorization: "Bearer " + tok }).catch(() => null);
  state.me = null;
  await load(false);
  renderAuthBar();
  if (live) live.restart();
  announce(t("now_signed_out"));
  if (mine) $("signin").focus();
}

async function refreshAuth() {
  await loadMe();
  $("authpanel").textContent = "";
  await load(false);
  renderAuthBar();
  if (live) live.restart();
}

// --- writing -------------------------------------------------------------

async function post(body, parentId, key) {
  const payload = { url: config.url, title: config.title || null, parent_id: parentId, body };
  const { status, data } = await api("POST", "/api/v1/comments", payload, { "Idempotency-Key": key });
  let li;
  const known = index.get(data.id); // the live stream was quicker than the answer
  const told = live ? live.claim(data.id) : false;
  if (known) {
    replaceArticle(known, data);
    li = known.li;
  } else if (parentId && index.get(parentId)) {
    // At the deepest level shown, a reply goes beside its parent, not under it.
    const [ol, level] = place(data, index, index.get(data.thread_id));
    ol.append(li = renderComment(data, closed(), index, level));
  } else {
    li = renderComment(data, closed(), index);
    if (state.sort === "newest") list.prepend(li); else list.append(li);
  }
  $("empty").hidden = true;
  if (!known && !told && status === 201 && data.status === "published" && state.story) {
    state.story.comment_count += 1;
    renderCount();
    toHost({ rostra: "count", url: config.hostUrl, count: state.story.comment_count });
  }
  li.querySelector("article").focus();
  announce(status === 202 || data.status === "pending" ? t("posted_pending") : t("posted"));
}

function openReply(entry, text, focus = true) {
  const art = entry.li.querySelector(":scope > article");
  const open = entry.li.querySelector(":scope > form.composer");
  if (open) { open.focusInput(); return; }
  const name = entry.data.author ? entry.data.author.display_name : t("unknown_author");
  const form = composer({
    label: t("reply_label", { name }), submitText: t("post_reply"), initial: text,
    onCancel: () => { form.remove(); art.querySelector('[data-action="reply"]').focus(); },
    onSubmit: async (body, key) => { await post(body, entry.data.id, key); form.remove(); },
  });
  art.after(form);
  if (focus) form.focusInput();
}

function openEdit(entry) {
  const art = entry.li.querySelector(":scope > article");
  const body = art.querySelector(".body");
  const actions = art.querySelector(".actions");
  body.hidden = true; actions.hidden = true;
  const form = composer({
    label: t("edit_label"), submitText: t("save"), initial: entry.data.body || "",
    onCancel: () => { form.remove(); body.hidden = false; actions.hidden = false; actions.querySelector('[data-action="edit"]').focus(); },
    onSubmit: async (text) => {
      const { data } = await api("PATCH", "/api/v1/comments/" + entry.data.id, { body: text });
      replaceArticle(entry, data).focus();
      announce(t("saved"));
    },
  });
  body.after(form);
  form.focusInput();
}

function replaceArticle(entry, data) {
  // An edit's answer carries no placement: the label stays.
  entry.data = Object.assign({}, entry.data, data, { replies: [], reply_to: entry.data.reply_to });
  const fresh = renderArticle(entry.data, closed());
  entry.li.querySelector(":scope > article").replaceWith(fresh);
  const form = entry.li.querySelector(":scope > form.composer");
  if (form && form.previousElementSibling === fresh) form.remove();
  return fresh;
}

async function moreReplies(entry, button) {
  button.disabled = true;
  try {
    const q = new URLSearchParams({ cursor: button.dataset.cursor });
    const { data } = await api("GET", "/api/v1/comments/" + entry.data.id + "/replies?" + q);
    if (data.viewer) (await import("./viewer.js")).lay(data.viewer, data.replies);
    let first = null;
    for (const r of data.replies) {
      if (index.has(r.id)) continue; // the reader's own reply, posted on this page
      const c = Object.assign({}, r, { replies: [] });
      const [ol, level] = place(c, index, entry);
      const li = renderComment(c, closed(), index, level);
      ol.append(li);
      first = first || li;
    }
    const next = data.next_cursor && moreRepliesButton(data.next_cursor);
    if (next) button.replaceWith(next); else button.remove();
    // Nothing new (only replies already shown): focus stays in this thread,
    // on the next button or else its last reply, not lost with the button.
    const arts = entry.li.querySelectorAll("article");
    (first ? first.querySelector("article") : next || arts[arts.length - 1]).focus();
    alertBox(null, "act");
  } catch (err) { button.disabled = false; alertBox(err, "act"); }
}

list.addEventListener("click", (e) => {
  const button = e.target.closest("button[data-action]");
  if (!button) return;
  const li = button.closest("li.comment");
  const entry = li && index.get(Number(li.dataset.id));
  if (!entry) return;
  const action = button.dataset.action;
  if (action === "reply") { if (state.me) openReply(entry); else openAuth("signin"); }
  else if (action === "edit") openEdit(entry);
  else if (action === "delete") import("./remove.js").then((m) => m.confirmDelete(ctx, entry, button));
  else if (action === "like") { if (state.me) import("./viewer.js").then((v) => v.like(entry, button, alertBox)); else openAuth("signin"); }
  else if (action === "more-replies") moreReplies(entry, button);
});

// --- host page messages (SSO) --------------------------------------------

// A token for the reader already signed in is exchanged again only if the
// publisher changed their profile (name, email, avatar); that updates the
// bar quietly, with no reload, announcement or focus move.
async function sso(jwt) {
  const [sub, profile] = jwtClaims(jwt);
  const [oldSub, oldProfile] = ssoSubject();
  const same = token() && sub && oldSub === sub && state.me;
  if (same && oldProfile === profile) return; // already this reader
  try {
    const { data } = await api("POST", "/api/v1/auth/sso", { url: config.url, token: jwt });
    // Revoke the old session (api() sends the token stored now, the old one).
    if (same && data.token !== token()) api("POST", "/api/v1/auth/logout").catch(() => null);
    setToken(data.token, sub, profile);
    if (same) { state.me = data.user; renderAuthBar(); pageOnly(); }
    else await signedIn(data.user);
    alertBox(null, "sso");
  } catch (err) {
    console.warn("Rostra SSO:", err.detail || err.code);
    alertBox({ detail: t("sso_failed") }, "sso");
  }
}

onHostMessage((msg) => {
  if (msg.rostra === "sso" && typeof msg.token === "string") sso(msg.token);
  else if (msg.rostra === "logout") signOut();
  else if (msg.rostra === "look") restyle(msg);
});

// --- start ---------------------------------------------------------------

$("sort").addEventListener("change", (e) => { state.sort = e.target.value; load(false); });
$("more").addEventListener("click", async () => {
  const last = list.lastElementChild;
  await load(true);
  const first = last ? last.nextElementSibling : list.firstElementChild;
  if (first) first.querySelector("article").focus();
});
onAuthChange(refreshAuth);
// The token was revoked elsewhere (signed out everywhere, password reset).
window.addEventListener("rostra:signed-out", () => { setToken(null); refreshAuth(); });
// Relative times age, and the edit button goes when the window closes.
setInterval(() => {
  for (const el of list.querySelectorAll("time")) el.textContent = ago(el.getAttribute("datetime"));
  for (const b of list.querySelectorAll('[data-action="edit"]')) {
    if (new Date(b.dataset.until) <= new Date()) b.remove();
  }
}, 30000);

fitHeight();
(async () => {
  await loadMe();
  renderAuthBar();
  toHost({ rostra: "ready" }); // the loader now sends any queued SSO token
  await load(false);
  live = await import("./live.js");
  live.start(ctx);
  (await import("./social.js")).start(ctx); // author menus, bell, Following tab, deep links
  (await import("./mod.js")).start(ctx); // picks tab, marks, reports, the nudge
})();
