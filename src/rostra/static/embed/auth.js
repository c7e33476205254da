// Sign-in, registration and password-reset forms. Loaded on demand (dynamic
// import) so that readers who only read never download it.
import { h, uid, showError } from "./dom.js";
import { t, config, addStrings } from "./i18n.js";
import { api, setToken } from "./api.js";

// Its own strings, kept out of the page every reader loads.
addStrings(await fetch(config.authStrings).then((r) => r.json()).catch(() => ({})));

// A labelled input; `hint` (a string key) is shown under it. A server
// error naming the field (`field` in the answer) is shown at it.
function field(label, type, name, extra, hint) {
  const id = uid("ra-");
  const input = h("input", Object.assign({ id, type, name, required: true }, extra || {}));
  if (hint) input.setAttribute("aria-describedby", id + "-hint");
  const el = h("div", { class: "field" }, h("label", { for: id }, label), input,
    hint ? h("small", { id: id + "-hint" }, t(hint)) : null);
  // The server's error about this field, shown under it until the next try.
  const fail = (err) => {
    const at = h("small", { id: id + "-err", class: "error field-error", role: "alert" }, err.detail || t("network_error"));
    el.append(at);
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", (hint ? id + "-hint " : "") + at.id);
    input.focus();
  };
  const clear = () => {
    const at = el.querySelector(".field-error");
    if (at) at.remove();
    input.removeAttribute("aria-invalid");
    if (hint) input.setAttribute("aria-describedby", id + "-hint"); else input.removeAttribute("aria-describedby");
  };
  return { input, el, fail, clear };
}

async function login(email, password, done) {
  const { data } = await api("POST", "/api/v1/auth/login", { email, password });
  setToken(data.token);
  await done(data.user);
}

// The handle field follows the server's suggestion for the display name
// (GET /api/v1/auth/handle-suggestion) until the reader types their own.
function suggestHandle(name, handle) {
  let own = false, timer = 0, ticket = 0;
  handle.addEventListener("input", () => { own = handle.value !== ""; });
  name.addEventListener("input", () => {
    clearTimeout(timer);
    if (own || !name.value.trim()) return;
    timer = setTimeout(async () => {
      const mine = ++ticket;
      try {
        const { data } = await api("GET", "/api/v1/auth/handle-suggestion?" + new URLSearchParams({ display_name: name.value }));
        if (!own && mine === ticket) handle.value = handle.dataset.suggested = data.handle;
      } catch (e) { /* the server suggests one at registration anyway */ }
    }, 300);
  });
}

const MODES = {
  signin: () => {
    const email = field(t("email"), "email", "email", { autocomplete: "email" });
    const password = field(t("password"), "password", "password", { autocomplete: "current-password" });
    return { title: t("sign_in_title"), submit: t("sign_in"), fields: [email, password],
      links: [["forgot", t("forgot")], ["register", t("register")]],
      run: (done) => login(email.input.value, password.input.value, done) };
  },
  register: () => {
    const name = field(t("display_name"), "text", "display_name", { autocomplete: "nickname", maxlength: 80 });
    const email = field(t("email"), "email", "email", { autocomplete: "email" });
    const handle = field(t("handle"), "text", "handle",
      { required: false, autocomplete: "username", minlength: 3, maxlength: 30, pattern: "@?[A-Za-z0-9_]{3,30}", spellcheck: "false" }, "handle_hint");
    suggestHandle(name.input, handle.input);
    const password = field(t("password"), "password", "password",
      { autocomplete: "new-password", minlength: 10 }, "password_hint");
    return { title: t("register_title"), submit: t("create_account"), fields: [name, handle, email, password],
      links: [["signin", t("sign_in")]],
      run: async (done) => {
        // Registration always answers 202 (it never reveals who is registered);
        // signing in with the same credentials lets a new reader comment at once.
        await api("POST", "/api/v1/auth/register",
          { email: email.input.value, password: password.input.value, display_name: name.input.value,
            // The suggestion untouched: the server takes it, or the next free one.
            handle: handle.input.value && handle.input.value !== handle.input.dataset.suggested ? handle.input.value : null });
        await login(email.input.value, password.input.value, done);
      } };
  },
  forgot: () => {
    const email = field(t("email"), "email", "email", { autocomplete: "email" });
    return { title: t("forgot_title"), submit: t("send_reset"), fields: [email],
      links: [["signin", t("sign_in")]],
      run: async (done, note) => {
        await api("POST", "/api/v1/auth/password-reset", { email: email.input.value });
        note.textContent = t("reset_sent");
      } };
  },
};

export function open(panel, mode, done) {
  const spec = MODES[mode]();
  const headingId = uid("ra-h-");
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const note = h("p", { class: "notice", role: "status" });
  const button = h("button", { type: "submit", class: "primary" }, spec.submit);
  const form = h("form", { class: "auth-form", "aria-labelledby": headingId },
    spec.fields.map((f) => f.el), h("div", { class: "composer-row" }, button), error, note);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.hidden = true;
    for (const f of spec.fields) f.clear();
    button.disabled = true;
    try { await spec.run(done, note); } catch (err) {
      const at = err.field && spec.fields.find((f) => f.input.name === err.field);
      if (at) at.fail(err); else showError(error, err, t("network_error"));
    }
    finally { button.disabled = false; }
  });
  const close = () => {
    panel.textContent = "";
    const back = document.getElementById("signin");
    if (back) back.focus();
  };
  panel.textContent = "";
  const section = h("section", { class: "auth", "aria-labelledby": headingId },
    h("div", { class: "auth-head" },
      h("h3", { id: headingId, tabindex: "-1" }, spec.title),
      h("button", { type: "button", class: "link", onclick: close }, t("close"))),
    form,
    h("p", { class: "auth-links" }, spec.links.map(([m, label]) =>
      h("button", { type: "button", class: "link", onclick: () => open(panel, m, done) }, label))));
  section.addEventListener("keydown", (e) => { if (e.key === "Escape") close(); });
  panel.append(section);
  spec.fields[0].input.focus();
}

// After sign-in, where the iframe may not keep the token (storage blocked).
export function pageOnly(bar) {
  bar.append(h("p", { class: "notice" }, t("page_only")));
}
