// Sign-in, registration and password-reset forms. Loaded on demand (dynamic
// import) so that readers who only read never download it.
import { h, uid, showError } from "./dom.js";
import { t, config, addStrings } from "./i18n.js";
import { api, setToken } from "./api.js";

// Its own strings, kept out of the page every reader loads.
addStrings(await fetch(config.authStrings).then((r) => r.json()).catch(() => ({})));

function field(label, type, name, extra) {
  const id = uid("ra-");
  const input = h("input", Object.assign({ id, type, name, required: true }, extra || {}));
  return { input, el: h("div", { class: "field" }, h("label", { for: id }, label), input,
    extra && extra["aria-describedby"] ? h("small", { id: extra["aria-describedby"] }, t("password_hint")) : null) };
}

async function login(email, password, done) {
  const { data } = await api("POST", "/api/v1/auth/login", { email, password });
  setToken(data.token);
  await done(data.user);
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
    const hint = uid("ra-hint-");
    const password = field(t("password"), "password", "password",
      { autocomplete: "new-password", minlength: 10, "aria-describedby": hint });
    return { title: t("register_title"), submit: t("create_account"), fields: [name, email, password],
      links: [["signin", t("sign_in")]],
      run: async (done) => {
        // Registration always answers 202 (it never reveals who is registered);
        // signing in with the same credentials lets a new reader comment at once.
        await api("POST", "/api/v1/auth/register",
          { email: email.input.value, password: password.input.value, display_name: name.input.value });
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
    button.disabled = true;
    try { await spec.run(done, note); } catch (err) { showError(error, err, t("network_error")); }
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
