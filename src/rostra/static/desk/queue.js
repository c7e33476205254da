// The queue, worked by keyboard and kept live. Without this script the
// cards' forms post and come back (the server does every rule); with it
// they are sent in the background, single keys act on the focused card
// (? lists them), and the desk's event stream brings new cards in and takes
// decided ones out, and marks cards other moderators are deciding.

const root = document.getElementById("queue");
const list = document.getElementById("cards");
const empty = document.getElementById("empty");
const bulkForm = document.getElementById("bulk");
const note = document.getElementById("live-note");
const help = document.getElementById("help");
const rejectDialog = document.getElementById("reject-dialog");
const banDialog = document.getElementById("ban-dialog");
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const me = Number(root.dataset.user);
const queue = root.dataset.queue;
const back = root.dataset.back;
const CLAIM_RENEW_MS = 20000;

let current = null;
let claimed = null;
let claimTimer = null;
let renewTimer = null;
const releaseTimers = new Map();
// When each card left this desk (a count of events, not a time): a queue
// fragment asked for before a card's decision must not bring it back.
const left = new Map();
let clock = 0;

const cards = () => Array.from(list.querySelectorAll("li.card:not(.gone)"));
const cardOf = (id) => document.getElementById(`card-${id}`);
const selected = () => cards().filter((c) => c.classList.contains("selected"));

function say(text) {
  note.textContent = text;
}

function refreshEmpty() {
  const none = cards().length === 0;
  empty.classList.toggle("hidden", !none);
  bulkForm.classList.toggle("hidden", none); // nothing to select
}

async function send(url, fields) {
  const body = new URLSearchParams();
  for (const [key, value] of fields) body.append(key, value);
  const response = await fetch(url, {
    method: "POST",
    headers: { Accept: "application/json", "X-CSRF-Token": csrf },
    body,
    credentials: "same-origin",
  });
  let data = {};
  try {
    data = await response.json();
  } catch {
    data = { detail: `The server answered ${response.status}.` };
  }
  return { ok: response.ok, status: response.status, data };
}

// --- focus and claims -------------------------------------------------------

function setCurrent(card, claimIt) {
  if (current && current !== card) current.classList.remove("current");
  const moved = current !== card;
  current = card;
  card.classList.add("current");
  clearTimeout(claimTimer);
  if (claimIt && (moved || claimed !== card.dataset.id)) claimTimer = setTimeout(() => claim(card), 250);
}

function focusCard(card, claimIt = true) {
  if (!card) return;
  setCurrent(card, claimIt);
  card.focus({ preventScroll: true });
  card.scrollIntoView({ block: "nearest" });
}

async function claim(card) {
  if (claimed && claimed !== card.dataset.id) release(claimed);
  claimed = card.dataset.id;
  clearInterval(renewTimer);
  const id = claimed;
  await send(`/desk/comments/${id}/claim`, []);
  renewTimer = setInterval(() => {
    if (claimed === id && cardOf(id)) send(`/desk/comments/${id}/claim`, []);
  }, CLAIM_RENEW_MS);
}

function release(id) {
  if (claimed === id) {
    claimed = null;
    clearInterval(renewTimer);
  }
  send(`/desk/comments/${id}/release`, []);
}

function move(step) {
  const all = cards();
  if (!all.length) return;
  const at = all.indexOf(current);
  const next = at < 0 ? 0 : Math.min(all.length - 1, Math.max(0, at + step));
  focusCard(all[next]);
}

function leave(card, why, mine = true) {
  // Take a decided card out and focus the next one (claimed only when this
  // moderator decided: a card another decided moves nobody's claim).
  const all = cards();
  const at = all.indexOf(card);
  left.set(card.dataset.id, ++clock);
  card.classList.add("gone");
  card.remove();
  if (claimed === card.dataset.id) {
    claimed = null;
    clearInterval(renewTimer);
  }
  refreshEmpty();
  if (current === card) {
    current = null;
    const rest = cards();
    if (rest.length) focusCard(rest[Math.min(at, rest.length - 1)], mine);
  }
  if (why) say(why);
}

function showError(card, text) {
  let line = card.querySelector(".card-error");
  if (!line) {
    line = document.createElement("p");
    line.className = "error card-error";
    line.setAttribute("role", "alert");
    card.querySelector(".actions").before(line);
  }
  line.textContent = text;
}

// --- actions -----------------------------------------------------------------

async function decide(card, action, reason = "") {
  const fields = [
    ["action", action],
    ["seen", card.dataset.seen],
    ["reason_text", reason],
  ];
  const answer = await send(`/desk/comments/${card.dataset.id}/decision`, fields);
  after(card, answer, `${action === "reject" ? "Rejected" : action === "approve" ? "Approved" : "Done"}.`);
}

async function ban(card, reason, duration) {
  if (!card.dataset.author) return say("This comment's author has no account to ban.");
  const fields = [
    ["reason", reason],
    ["site", card.dataset.site],
    ["comment_id", card.dataset.id],
    ["seen", card.dataset.seen],
  ];
  if (duration) fields.push(["duration", duration]);
  const answer = await send(`/desk/users/${card.dataset.author}/ban`, fields);
  after(card, answer, duration ? "Author suspended; comment rejected." : "Author banned; comment rejected.");
}

function after(card, answer, done) {
  if (answer.ok) {
    if (queue === "recent") refresh();
    else leave(card, done);
    if (queue === "recent") say(done);
    return;
  }
  showError(card, answer.data.detail || "That did not work.");
  if (answer.status === 409 || answer.status === 404) card.classList.add("stale");
}

// Send the selection to a bulk route; the decided cards leave. Returns the
// answer's data, or null when it was refused (and said so).
async function sendSelection(url, fields) {
  for (const card of selected()) fields.push(["ids", `${card.dataset.id}|${card.dataset.seen}`]);
  const answer = await send(url, fields);
  if (!answer.ok) {
    say(answer.data.detail || "That did not work.");
    return null;
  }
  for (const id of answer.data.decided) {
    const card = cardOf(id);
    if (card && queue !== "recent") leave(card);
  }
  for (const card of selected()) card.classList.remove("selected");
  syncChecks();
  if (queue === "recent") refresh();
  return answer.data;
}

const skippedNote = (data) =>
  data.skipped.length ? `, ${data.skipped.length} skipped: decided meanwhile` : "";

async function bulk(action, reason = "") {
  const data = await sendSelection("/desk/bulk", [["action", action], ["reason_text", reason]]);
  if (data) say(`${data.decided.length} decided${skippedNote(data)}.`);
}

function syncChecks() {
  for (const card of list.querySelectorAll("li.card")) {
    const box = card.querySelector(".select-box");
    if (box) box.checked = card.classList.contains("selected");
  }
}

// --- dialogs -----------------------------------------------------------------

function reasonsOf(card) {
  try {
    return JSON.parse(card ? card.dataset.reasons : "[]");
  } catch {
    return [];
  }
}

function askReason(card, onChosen) {
  const holder = document.getElementById("reject-reasons");
  const text = document.getElementById("reject-text");
  holder.replaceChildren();
  const reasons = reasonsOf(card || selected()[0]).slice(0, 9);
  let chosen = null;
  reasons.forEach((reason, n) => {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "quiet";
    button.textContent = `${n + 1}. ${reason}`;
    button.addEventListener("click", () => {
      chosen = reason;
      rejectDialog.close("ok");
    });
    item.append(button);
    holder.append(item);
  });
  text.value = "";
  const onKey = (event) => {
    if (event.target === text) return;
    const n = Number(event.key);
    if (n >= 1 && n <= reasons.length) {
      event.preventDefault();
      chosen = reasons[n - 1];
      rejectDialog.close("ok");
    } else if (event.key.length === 1 && !event.ctrlKey && !event.metaKey && event.key !== " ") {
      text.focus(); // typing starts the moderator's own reason
    }
  };
  rejectDialog.addEventListener("keydown", onKey);
  rejectDialog.addEventListener(
    "close",
    () => {
      rejectDialog.removeEventListener("keydown", onKey);
      const reason = chosen || text.value.trim();
      if (rejectDialog.returnValue === "ok" && reason) onChosen(reason);
      else if (rejectDialog.returnValue === "ok") say("A rejection needs a reason.");
      if (current) current.focus({ preventScroll: true });
    },
    { once: true },
  );
  rejectDialog.returnValue = "";
  rejectDialog.showModal();
  const first = holder.querySelector("button");
  (first || text).focus();
}

async function bulkBan(reason, duration) {
  const fields = [["reason_text", reason]];
  if (duration) fields.push(["duration", duration]);
  const data = await sendSelection(duration ? "/desk/bulk/suspend" : "/desk/bulk/ban", fields);
  if (!data) return;
  const people = data.banned.length;
  say(
    `${people} ${people === 1 ? "author" : "authors"} ${duration ? "suspended" : "banned"}, ` +
      `${data.decided.length} rejected${skippedNote(data)}.`,
  );
}

function askBan(card, suspend) {
  const label = document.getElementById("ban-duration-label");
  const duration = document.getElementById("ban-duration");
  const reason = document.getElementById("ban-reason");
  const whom = card ? "the author" : "the selected cards' authors";
  document.getElementById("ban-title").textContent = `${suspend ? "Suspend" : "Ban"} ${whom}`;
  document.getElementById("ban-submit").textContent = suspend ? "Suspend" : "Ban";
  label.classList.toggle("hidden", !suspend);
  reason.value = "";
  banDialog.returnValue = "";
  banDialog.addEventListener(
    "close",
    () => {
      const why = reason.value.trim();
      const ok = banDialog.returnValue === "ok" && why;
      if (ok && card) ban(card, why, suspend ? duration.value : "");
      else if (ok) bulkBan(why, suspend ? duration.value : "");
      if (current) current.focus({ preventScroll: true });
    },
    { once: true },
  );
  banDialog.showModal();
  (suspend ? duration : reason).focus();
}

// --- keys --------------------------------------------------------------------

const NOT_TEXT = new Set(["checkbox", "radio", "button", "submit", "reset"]);

function typing(target) {
  // Keys belong to a field being typed in or chosen from, and to dialogs;
  // a focused checkbox or button leaves them to the queue.
  if (target.matches("input") && NOT_TEXT.has(target.type)) return false;
  return target.closest("input, select, textarea, dialog, [contenteditable]") !== null;
}

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
  const card = current && current.isConnected ? current : null;
  const many = selected().length > 0;
  const keys = {
    j: () => move(1),
    k: () => move(-1),
    "?": () => help.showModal(),
    x: () => {
      if (!card) return;
      card.classList.toggle("selected");
      syncChecks();
      say(`${selected().length} selected.`);
    },
    Escape: () => {
      for (const c of selected()) c.classList.remove("selected");
      syncChecks();
    },
    a: () => {
      if (many) return bulk("approve");
      if (!card) return;
      // Nothing to approve: published with no open reports.
      if (card.dataset.status === "published" && card.dataset.reports === "0") return say("Already published.");
      decide(card, "approve");
    },
    r: () => {
      if (many) return askReason(null, (why) => bulk("reject", why));
      if (!card) return;
      if (card.dataset.status === "rejected") return say("Already rejected.");
      askReason(card, (why) => decide(card, "reject", why));
    },
    f: () => {
      if (many) return bulk("feature");
      if (card) decide(card, card.dataset.featured === "yes" ? "unfeature" : "feature");
    },
    b: () => (many ? askBan(null, false) : card && askBan(card, false)),
    s: () => (many ? askBan(null, true) : card && askBan(card, true)),
  };
  const run = keys[event.key];
  if (!run) return;
  event.preventDefault();
  run();
});

list.addEventListener("click", (event) => {
  const card = event.target.closest("li.card");
  if (card && !event.target.closest("a, button, input, select, summary")) focusCard(card);
});

// Tabbing into a card's forms makes it the current card too.
list.addEventListener("focusin", (event) => {
  const card = event.target.closest("li.card");
  if (card && card !== current) setCurrent(card, true);
});

list.addEventListener("change", (event) => {
  if (!event.target.classList.contains("select-box")) return;
  event.target.closest("li.card").classList.toggle("selected", event.target.checked);
});

// The cards' own forms, sent in the background.
list.addEventListener("submit", (event) => {
  const form = event.target;
  const card = form.closest("li.card");
  if (!card) return;
  event.preventDefault();
  const fields = Array.from(new FormData(form).entries()).filter(([k]) => k !== "csrf");
  send(form.action, fields).then((answer) => {
    const kind = form.dataset.action;
    after(card, answer, kind === "ban" || kind === "suspend" ? "Author banned; comment rejected." : "Done.");
  });
});

// --- live --------------------------------------------------------------------

let refreshing = null;

function refresh() {
  clearTimeout(refreshing);
  refreshing = setTimeout(load, 150);
}

async function load() {
  const url = new URL(location.href);
  url.searchParams.set("fragment", "1");
  url.searchParams.delete("decided");
  url.searchParams.delete("skipped");
  const asked = ++clock;
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) return;
  const template = document.createElement("template");
  template.innerHTML = await response.text();
  let before = null;
  const fresh = Array.from(template.content.querySelectorAll("li.card")).reverse();
  let added = 0;
  for (const card of fresh) {
    if ((left.get(card.dataset.id) ?? 0) > asked) continue; // decided while this was on its way
    const old = cardOf(card.dataset.id);
    if (old) {
      if (old !== current && !old.classList.contains("selected")) {
        old.replaceWith(card);
        before = card;
      } else {
        before = old;
      }
      continue;
    }
    if (before) list.insertBefore(card, before);
    else list.append(card);
    before = card;
    added += 1;
  }
  refreshEmpty();
  if (added) say(added === 1 ? "A new comment arrived." : `${added} new comments arrived.`);
  if (!current && cards().length) focusCard(cards()[0], false);
}

function markClaim(data) {
  const card = cardOf(data.id);
  if (!card || data.by === me) return;
  const line = card.querySelector(".claim");
  line.textContent = `Being decided by ${data.name}`;
  line.classList.remove("hidden");
  card.classList.add("claimed");
  clearTimeout(releaseTimers.get(data.id));
  const wait = Math.max(1000, data.until * 1000 - Date.now());
  releaseTimers.set(
    data.id,
    setTimeout(() => unmarkClaim(data), wait),
  );
}

function unmarkClaim(data) {
  const card = cardOf(data.id);
  if (!card) return;
  card.querySelector(".claim").classList.add("hidden");
  card.classList.remove("claimed");
}

function listen() {
  const stream = new EventSource("/desk/events");
  const on = (kind, handler) =>
    stream.addEventListener(kind, (event) => {
      try {
        handler(JSON.parse(event.data));
      } catch (error) {
        console.warn("desk: an event could not be shown", kind, error);
      }
    });
  let connected = false;
  on("ready", () => {
    // After a reconnection the stream may not have resumed exactly (a
    // moderator of many sites): read the queue again.
    if (connected) refresh();
    connected = true;
    root.setAttribute("data-live", "on");
  });
  on("queue.held", refresh);
  on("queue.reported", refresh);
  on("reload", refresh);
  on("queue.decided", (data) => {
    const card = cardOf(data.id);
    if (!card) return;
    if (queue === "recent" || data.action === "feature" || data.action === "unfeature") return refresh();
    if (data.by !== me) leave(card, "A card was decided by another moderator.", false);
  });
  on("queue.removed", (data) => {
    const card = cardOf(data.id);
    if (card) leave(card, "A comment was deleted by its author.", false);
  });
  on("queue.claimed", markClaim);
  on("queue.released", unmarkClaim);
  stream.addEventListener("error", () => root.setAttribute("data-live", "off"));
}

refreshEmpty();
if (cards().length) focusCard(cards()[0], false); // opening the queue claims nothing
listen();
