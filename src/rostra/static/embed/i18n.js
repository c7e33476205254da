// Strings and page config come from the server-rendered JSON block, so the
// catalogue (i18n.json) stays the single source for every reader-facing text.
const el = document.getElementById("rostra-config");
export const config = JSON.parse(el ? el.textContent : "{}");
const strings = config.strings || {};
export const lang = config.lang || "en";

// More strings, for a part that loads later (the sign-in forms fetch theirs).
export function addStrings(more) { Object.assign(strings, more); }

export function t(key, vars) {
  let s = strings[key];
  if (typeof s !== "string") s = key;
  if (vars) for (const k in vars) s = s.split("{" + k + "}").join(String(vars[k]));
  return s;
}

let rules;
export function plural(key, n) {
  const forms = strings[key] || {};
  try { rules = rules || new Intl.PluralRules(lang); } catch (e) { rules = { select: () => "other" }; }
  const form = forms[rules.select(n)] || forms.other || "{n}";
  return form.split("{n}").join(n.toLocaleString(lang));
}

const UNITS = [["year", 31536000], ["month", 2592000], ["week", 604800],
  ["day", 86400], ["hour", 3600], ["minute", 60], ["second", 1]];
let rtf;
export function ago(iso) {
  const secs = (new Date(iso).getTime() - Date.now()) / 1000;
  try { rtf = rtf || new Intl.RelativeTimeFormat(lang, { numeric: "auto" }); } catch (e) { return iso; }
  for (const [unit, size] of UNITS) {
    if (Math.abs(secs) >= size || unit === "second") {
      // Anything under ten seconds reads as "now" rather than a ticking count.
      if (unit === "second" && Math.abs(secs) < 10) return rtf.format(0, "second");
      return rtf.format(Math.round(secs / size), unit);
    }
  }
  return iso;
}

export function fullDate(iso) {
  try {
    return new Date(iso).toLocaleString(lang, { dateStyle: "long", timeStyle: "short" });
  } catch (e) { return iso; }
}
