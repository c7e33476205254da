// The reader's account page (/account): who is signed in and the Following
// feed. The bearer token is the embed's (same origin, same localStorage key):
// this module reuses the embed's api.js rather than a copy of it.
const root = document.getElementById("account");
const { api, token, setToken } = await import(root.dataset.api);

const $ = (id) => document.getElementById(id);
const out = $("signed-out");
const inside = $("signed-in");
const list = $("feed");
const note = $("feed-note");
const more = $("feed-more");
let next = null;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  for (const c of children) if (c !== null) node.append(c);
  return node;
}

function showSignedOut() {
  inside.hidden = true;
  out.hidden = false;
}

async function showSignedIn() {
  let me;
  try {
    ({ data: me } = await api("GET", "/api/v1/me"));
  } catch (err) {
    if (err.status === 401) { setToken(null); showSignedOut(); return; }
    note.textContent = err.detail || "The account could not be loaded. Please try again.";
    out.hidden = true; inside.hidden = false;
    return;
  }
  $("me-name").textContent = me.display_name;
  const profile = $("me-profile");
  profile.textContent = "@" + me.handle;
  profile.href = "/u/" + encodeURIComponent(me.handle);
  out.hidden = true;
  inside.hidden = false;
  list.replaceChildren();
  next = null;
  await page();
}

function item(c) {
  const a = c.author;
  // The server-sanitised html, as the embed draws it; never the raw text.
  const body = el("div", { class: "body" });
  body.innerHTML = c.html;
  const time = el("time", { datetime: c.created_at }, new Date(c.created_at).toLocaleString());
  return el("li", { "data-id": String(c.id) },
    el("p", { class: "meta" },
      a ? el("strong", null, a.display_name) : null, a ? " @" + a.handle + " · " : "", time),
    body,
    el("a", { href: c.article_url, class: "go" }, "In “" + c.story.title + "”"));
}

async function page() {
  more.disabled = true;
  try {
    const q = new URLSearchParams({ limit: "10" });
    if (next) q.set("cursor", next);
    const { data } = await api("GET", "/api/v1/feed?" + q);
    const first = list.children.length;
    for (const c of data.items) list.append(item(c));
    next = data.next_cursor;
    more.hidden = !next;
    note.textContent = list.children.length ? ""
      : "Nothing here yet. Follow readers from the author menu on their comments, and their new comments appear here.";
    const fresh = list.children[first];
    if (first && fresh) fresh.querySelector("a.go").focus();
  } catch (err) {
    note.textContent = err.detail || "The feed could not be loaded. Please try again.";
  }
  more.disabled = false;
}

$("sign-in").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.target;
  const error = $("sign-in-error");
  error.hidden = true;
  try {
    const { data } = await api("POST", "/api/v1/auth/login",
      { email: form.email.value, password: form.password.value });
    setToken(data.token);
    form.password.value = "";
    await showSignedIn();
  } catch (err) {
    error.textContent = err.detail || "Signing in failed. Please try again.";
    error.hidden = false;
  }
});

$("sign-out").addEventListener("click", async () => {
  try { await api("POST", "/api/v1/auth/logout"); } catch (err) { /* signed out here anyway */ }
  setToken(null);
  showSignedOut();
});

more.addEventListener("click", page);
window.addEventListener("rostra:signed-out", () => { setToken(null); showSignedOut(); });

if (token()) await showSignedIn(); else showSignedOut();
