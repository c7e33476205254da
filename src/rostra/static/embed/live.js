// Live updates: follows GET /api/v1/events and changes the thread in place.
// Loaded after the first comments show (it is not needed to read them).
// fetch, not EventSource, so the reader's token goes in a header and never
// in a URL; it resumes with Last-Event-ID after a drop, by itself.
import { h } from "./dom.js";
import { t, plural, config } from "./i18n.js";
import { token } from "./api.js";
import { renderComment, place } from "./comment.js";
import { toHost } from "./frame.js";

let ctx = null;
let stream = null;
const waiting = []; // new top-level comments, shown when the reader asks
const brought = new Set(); // comments the stream announced (their count is in)
const seen = new Set(); // articles now in the reader's viewport
let watcher = null;

export function start(context) {
  ctx = context;
  watcher = "IntersectionObserver" in window ? new IntersectionObserver((entries) => {
    for (const e of entries) { if (e.isIntersecting) seen.add(e.target); else seen.delete(e.target); }
  }) : null;
  // Every article on the page, whenever it comes (pages, replies, posts).
  const all = (root) => { for (const a of root.querySelectorAll("article")) watch(a); };
  all(ctx.list);
  new MutationObserver((changes) => {
    for (const m of changes) for (const n of m.addedNodes) if (n.querySelectorAll) all(n);
  }).observe(ctx.list, { childList: true, subtree: true });
  restart();
}

// The reader's own new comment, in case the stream told of it first: not
// "new" to them, and already counted. Returns whether it had been told.
export function claim(id) {
  const i = waiting.findIndex((c) => c.id === id);
  if (i >= 0) { waiting.splice(i, 1); banner(); }
  return brought.has(id);
}

// A new reader (sign-in, sign-out): a new stream, from now.
export function restart() {
  if (stream) stream.abort();
  waiting.length = 0;
  banner();
  stream = follow();
}

function watch(art) { if (watcher) watcher.observe(art); }

function follow() {
  const control = new AbortController();
  let last = null, delay = 1000, url = null;
  const run = async () => {
    while (!control.signal.aborted) {
      const headers = { Accept: "text/event-stream" };
      const tok = token();
      if (tok) headers.Authorization = "Bearer " + tok;
      if (last) headers["Last-Event-ID"] = last;
      try {
        const res = await fetch("/api/v1/events?" + new URLSearchParams({ url: config.url }),
          { headers, signal: control.signal, cache: "no-store" });
        if (res.ok && res.body) {
          delay = 1000;
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          let buf = "";
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buf += value;
            let cut;
            while ((cut = buf.indexOf("\n\n")) >= 0) {
              const f = {};
              for (const line of buf.slice(0, cut).split("\n")) {
                const i = line.indexOf(": ");
                if (line && line[0] !== ":" && i > 0) f[line.slice(0, i)] = line.slice(i + 2);
              }
              buf = buf.slice(cut + 2);
              if (f.id) last = f.id;
              if (f.event === "ready") url = JSON.parse(f.data).url;
              else if (f.event) handle(f.event, JSON.parse(f.data || "{}"), url);
            }
          }
        } else if (res.status === 401 || res.status === 422) return; // nothing to follow
      } catch (e) { if (control.signal.aborted) return; }
      // Dropped, or the server is restarting: back soon, a little later each time.
      await new Promise((r) => setTimeout(r, delay + Math.random() * 1000));
      delay = Math.min(delay * 2, 30000);
    }
  };
  run();
  return control;
}

function handle(name, d, url) {
  const s = ctx.state;
  if (typeof d.comment_count === "number" && s.story) {
    s.story.comment_count = d.comment_count;
    ctx.renderCount();
    toHost({ rostra: "count", url: config.hostUrl, count: d.comment_count });
  }
  const c = d.comment;
  if (d.story_url && d.story_url !== url) return; // the reader's own event of another story
  if (name === "comment.created" || name === "comment.held") added(c);
  else if (name === "comment.updated") {
    const e = ctx.index.get(c.id) || back(c.id);
    if (!e) return;
    // The story's view says nothing of this reader (liked, own Markdown):
    // only what it changes is taken; the reader's own channel says all.
    steady(() => ctx.replaceArticle(e, d.story_url ? c
      : { html: c.html, edited_at: c.edited_at, author: c.author, is_featured: c.is_featured }));
  } else if (name === "comment.deleted") {
    const e = ctx.index.get(d.id);
    if (!e) return;
    // The author's own comment a moderator removed: the author's channel
    // brings it back at once, rejected, with the reason.
    if (e.data.is_mine && !d.story_url) gone.set(d.id, [e, e.li.parentElement, e.li.nextElementSibling]);
    if (d.placeholder) steady(() => ctx.replaceArticle(e, { status: "deleted", html: "", author: null, is_mine: false }));
    else steady(() => { e.li.remove(); ctx.index.delete(d.id); });
  } else if (name === "comment.liked") {
    const e = ctx.index.get(d.id);
    if (!e) return;
    e.data.like_count = d.like_count;
    const art = e.li.querySelector(":scope > article");
    const b = art.querySelector(".like"), own = art.querySelector(".likes");
    if (b) {
      b.querySelector(".n").textContent = " " + d.like_count;
      b.setAttribute("aria-label", t("like") + ", " + plural("likes", d.like_count));
    } else if (own) own.textContent = plural("likes", d.like_count);
  } else if (name === "story.updated") {
    const was = s.story && s.story.is_closed;
    s.story = Object.assign({}, s.story, d.story);
    if (was !== s.story.is_closed) ctx.renderCompose();
  } else if (name === "reload") ctx.load(false);
  // The reader's notifications: for the bell (social.js, bell.js).
  else if (name.startsWith("notification")) window.dispatchEvent(new CustomEvent("rostra:live", { detail: [name, d] }));
}

// A comment of the reader's taken off the page by the story's channel, put
// back where it was.
const gone = new Map(); // id -> [entry, its list, the element after it]
function back(id) {
  const was = gone.get(id);
  if (!was) return null;
  gone.delete(id);
  const [e, ol, next] = was;
  ol.insertBefore(e.li, next && next.parentElement === ol ? next : null);
  ctx.index.set(id, e);
  return e;
}

function added(c) {
  const { index } = ctx;
  brought.add(c.id);
  const own = index.get(c.id);
  if (own) { // the reader's own, shown when they posted it, maybe held then
    if (own.data.status !== c.status) steady(() => ctx.replaceArticle(own, { status: c.status, moderation_reason: null, is_featured: c.is_featured }));
    return;
  }
  if (c.parent_id) {
    const root = index.get(c.thread_id);
    if (!root && !index.get(c.parent_id)) return; // its thread is not on the page
    c.replies = [];
    steady(() => {
      const [ol, level] = place(c, index, root);
      ol.append(renderComment(c, ctx.closed(), index, level));
    });
    ctx.announce(t("new_reply"));
    return;
  }
  waiting.push(c);
  banner();
}

// "3 new comments": shown at the top; they join the thread when the reader
// asks, never under their eyes.
function banner() {
  let b = document.getElementById("newer");
  if (!waiting.length) { if (b) b.remove(); return; }
  if (!b) {
    b = h("button", { type: "button", id: "newer", class: "newer", onclick: show });
    ctx.list.before(b);
  }
  b.textContent = plural("new_comments", waiting.length);
}

function show() {
  const { state, list, index } = ctx;
  let first = null;
  for (const c of waiting.splice(0)) {
    if (index.has(c.id)) continue;
    if (state.sort !== "newest" && state.next) continue; // it comes with "load more"
    const li = renderComment(c, ctx.closed(), index);
    if (state.sort === "newest") list.prepend(li); else list.append(li);
    if (!first || state.sort === "newest") first = li;
  }
  banner();
  document.getElementById("empty").hidden = list.children.length > 0;
  if (first) first.querySelector("article").focus();
}

// Run a change without moving what the reader is looking at: the first
// comment in view keeps its place on the reader's screen; the host page
// scrolls by as much as the thread grew or shrank above it.
function steady(change) {
  let anchor = null, top = 0;
  for (const a of seen) {
    const y = a.getBoundingClientRect().top;
    if (a.isConnected && (!anchor || y < top)) { anchor = a; top = y; }
  }
  change();
  if (!anchor || !anchor.isConnected) return;
  const by = anchor.getBoundingClientRect().top - top;
  if (by) toHost({ rostra: "resize", height: Math.ceil(document.body.getBoundingClientRect().height), by });
}
