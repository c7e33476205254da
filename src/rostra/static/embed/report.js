// The report dialog, under the comment's actions: a reason (the API's
// five), a note (needed with "Something else", as the server checks too),
// then the server's answer: thanks, "you reported it already", a rate
// limit. Loaded when a signed-in reader first presses "Report" (mod.js).
// Keyboard: focus starts on the first reason, Tab stays inside, Esc closes
// and focus goes back to the "Report" button.
import { h, uid, showError } from "./dom.js";
import { t } from "./i18n.js";
import { api } from "./api.js";

const REASONS = ["abuse", "spam", "off_topic", "misinformation", "other"];

export function open(entry, button) {
  const art = button.closest("article");
  const was = art.querySelector(":scope > .report-dialog");
  if (was) { was.querySelector("input, button").focus(); return; }
  const id = uid("rr-");
  const radios = REASONS.map((r) => h("input", { type: "radio", name: id, value: r, id: id + r }));
  const note = h("textarea", { id: id + "-note", name: "note", rows: 2, maxlength: 500 });
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const send = h("button", { type: "submit", class: "primary" }, t("report_send"));
  const form = h("form", { class: "report-form" },
    h("fieldset", null, h("legend", null, t("report_reason")),
      radios.map((r) => h("div", { class: "choice" }, r, " ", h("label", { for: r.id }, t("reason_" + r.value))))),
    h("div", { class: "field" }, h("label", { for: note.id }, t("report_note")), note),
    error,
    h("div", { class: "composer-row" }, h("span", { class: "spacer" }),
      h("button", { type: "button", onclick: () => close() }, t("cancel")), send));
  const box = h("div", { class: "report-dialog", role: "dialog", "aria-modal": "true", "aria-labelledby": id + "-h" },
    h("h3", { id: id + "-h" }, t("report_title")), form);

  const close = () => { box.remove(); button.focus(); };
  box.addEventListener("keydown", (e) => {
    if (e.key === "Escape") { e.preventDefault(); e.stopPropagation(); close(); return; }
    if (e.key !== "Tab") return;
    // Focus stays in the dialog until it closes. Radios of one group are a
    // single Tab stop: the checked one, or the first while none is.
    const checked = radios.find((r) => r.checked);
    const stops = [...box.querySelectorAll("input, textarea, button")].filter((el) =>
      !el.disabled && (el.type !== "radio" || el === (checked || radios[0])));
    const first = stops[0], last = stops[stops.length - 1];
    const at = document.activeElement;
    if (e.shiftKey && (at === first || (at.type === "radio" && first.type === "radio"))) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && at === last) { e.preventDefault(); first.focus(); }
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.hidden = true;
    const picked = radios.find((r) => r.checked);
    if (!picked) { showError(error, { detail: t("report_choose") }); radios[0].focus(); return; }
    if (picked.value === "other" && !note.value.trim()) { showError(error, { detail: t("report_note_required") }); note.focus(); return; }
    send.disabled = true;
    try {
      await api("POST", "/api/v1/comments/" + entry.data.id + "/reports", { reason: picked.value, note: note.value });
      const thanks = h("p", { class: "notice thanks", role: "status", tabindex: "-1" }, t("report_thanks"));
      box.replaceWith(thanks);
      thanks.focus();
    } catch (err) {
      showError(error, err, t("network_error"));
      send.disabled = false;
      send.focus();
    }
  });
  art.querySelector(".actions").after(box);
  radios[0].focus();
}
