// Talks to the JSON API (same origin as this iframe, so no CORS) and owns the
// reader's bearer token. The token lives in the iframe's localStorage, which
// browsers partition per publisher site: one sign-in covers all its articles.
const KEY = "rostra.token";
const SSO_KEY = "rostra.sso";
const PROFILE_KEY = "rostra.sso.profile"; // the SSO profile claims at the last exchange
const channel = "BroadcastChannel" in window ? new BroadcastChannel("rostra-auth") : null;
const memory = {}; // what storage refused (blocked, full); wins over storage

export class ApiError extends Error {
  constructor(status, code, detail, field) {
    super(detail);
    this.status = status; this.code = code; this.detail = detail; this.field = field;
  }
}

function read(key) {
  if (key in memory) return memory[key];
  try { return localStorage.getItem(key); } catch (e) { return null; }
}
function write(key, value) {
  try {
    if (value === null) localStorage.removeItem(key); else localStorage.setItem(key, value);
    delete memory[key];
  } catch (e) { memory[key] = value; }
}
export const persisted = () => !(KEY in memory);

export function token() { return read(KEY); }
export function ssoSubject() { return [read(SSO_KEY), read(PROFILE_KEY)]; }

export async function api(method, path, body, extraHeaders) {
  const headers = Object.assign({ Accept: "application/json" }, extraHeaders || {});
  const tok = token();
  if (tok) headers.Authorization = "Bearer " + tok;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, "network_error", null);
  }
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) {
    if (res.status === 401 && tok && data && data.error === "not_authenticated" && tok === token()) {
      window.dispatchEvent(new Event("rostra:signed-out"));
    }
    throw new ApiError(res.status, (data && data.error) || "error", data && data.detail, data && data.field);
  }
  return { status: res.status, data };
}

// Sign-in and sign-out are announced to every other Rostra embed of this
// site in this browser; the storage event is the fallback for browsers
// without BroadcastChannel (it fires in other documents only, like the channel).
let known = read(KEY);

export function setToken(tok, ssoSub, profile) {
  known = tok;
  write(KEY, tok);
  write(SSO_KEY, tok ? ssoSub || null : null);
  write(PROFILE_KEY, tok ? profile || null : null);
  if (channel) channel.postMessage({ type: tok ? "signin" : "signout" });
}

export function onAuthChange(callback) {
  const fire = () => {
    const now = token();
    if (now === known) return; // channel and storage event both fired
    known = now;
    callback();
  };
  if (channel) channel.onmessage = fire;
  window.addEventListener("storage", (e) => { if (e.key === KEY || e.key === null) fire(); });
}
