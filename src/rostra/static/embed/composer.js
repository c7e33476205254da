// The text box used for new comments, replies and edits: a labelled textarea,
// a character counter against the server's limit, and the API's error
// `detail` shown beside the form in a role=alert element.
import { h, uid, showError } from "./dom.js";
import { t, config } from "./i18n.js";

const chars = (s) => Array.from(s).length; // the server counts code points, not UTF-16 units

export function composer({ label, submitText, initial = "", onSubmit, onCancel }) {
  const id = uid("rc-");
  const max = config.maxLength || 5000;
  const area = h("textarea", { id, name: "body", rows: 3, "aria-describedby": id + "-count " + id + "-err" });
  area.value = initial;
  const counter = h("span", { id: id + "-count", class: "counter" });
  const error = h("p", { id: id + "-err", class: "error", role: "alert", hidden: true });
  const button = h("button", { type: "submit", class: "primary" }, submitText);
  const cancel = onCancel ? h("button", { type: "button", onclick: onCancel }, t("cancel")) : null;
  const form = h("form", { class: "composer" },
    h("label", { for: id }, label), area,
    h("div", { class: "composer-row" }, counter, h("span", { class: "spacer" }), cancel, button),
    error);

  const update = () => {
    const n = chars(area.value);
    counter.textContent = t("counter", { n, max });
    counter.classList.toggle("over", n > max);
  };
  area.addEventListener("input", update);
  update();
  // Ctrl/Cmd+Enter posts, as in most comment boxes; plain Enter makes a new line.
  area.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); }
    if (e.key === "Escape" && onCancel) onCancel();
  });
  // One key per text, so a retried submit after a network error is not a duplicate.
  let key = null;
  let keyFor = null;
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = area.value;
    error.hidden = true;
    if (chars(body) > max) { showError(error, { detail: t("too_long", { n: chars(body), max }) }); return; }
    if (keyFor !== body) { key = newKey(); keyFor = body; }
    button.disabled = true;
    try {
      await onSubmit(body, key);
      key = keyFor = null; // posted: the same text again is a new comment
    } catch (err) {
      showError(error, err, t("network_error"));
      // mod.js offers "Post anyway" beside a rephrase_suggested.
      form.dispatchEvent(new CustomEvent("rostra:refused", { bubbles: true, detail: err }));
      area.focus();
    } finally {
      button.disabled = false;
    }
  });
  form.focusInput = () => area.focus();
  form.clear = () => { area.value = ""; update(); error.hidden = true; };
  return form;
}

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Date.now().toString(36) + Math.random().toString(36).slice(2);
}
