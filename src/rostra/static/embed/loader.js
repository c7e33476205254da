/* Rostra embed loader: served at /embed.js, runs on the publisher's page.
 * Kept dependency-free and small: it only creates the iframe, keeps it sized,
 * relays SSO tokens, and fills comment counts. Everything else runs inside
 * the iframe, so no comment content ever reaches the host page's DOM. */
(function () {
  "use strict";
  if (window.Rostra && window.Rostra.version) return; // loaded twice: keep the first

  var script = document.currentScript ||
    document.querySelector("script[data-rostra]") ||
    document.querySelector('script[src$="/embed.js"]');
  // Messages are trusted only from the origin this script was served from.
  var HOST = new URL(script.src, location.href).origin;
  // Count strings of the translation catalogue, inlined by the server.
  var COUNTS = /*counts*/{}/*end*/;

  function attr(el, name) {
    return el && el.getAttribute(name) ? el.getAttribute(name) : "";
  }
  function meta(sel) {
    var el = document.querySelector(sel);
    return el ? (el.getAttribute("content") || el.getAttribute("href") || "") : "";
  }
  // "uk-UA" -> "uk": the catalogue is keyed by language only.
  function lang(el) {
    var l = attr(el, "data-rostra-lang") || attr(script, "data-rostra-lang") ||
      document.documentElement.lang || "en";
    return l.toLowerCase().split("-")[0];
  }
  function countText(n, language) {
    var forms = COUNTS[language] || COUNTS.en;
    if (!forms) return String(n);
    var cat = "other";
    try { cat = new Intl.PluralRules(language).select(n); } catch (e) { /* old browser */ }
    return (forms[cat] || forms.other).replace("{n}", n.toLocaleString(language));
  }

  var frame = null;
  var ready = false;
  var queue = [];

  function send(msg) {
    if (!frame) return;
    if (!ready) { queue.push(msg); return; }
    frame.contentWindow.postMessage(msg, HOST);
  }

  function mount() {
    var box = document.getElementById("rostra-thread") ||
      document.querySelector("[data-rostra-url]:not([data-rostra-count]):not(script)");
    if (!box || box.querySelector("iframe.rostra-frame")) return;
    var url = attr(box, "data-rostra-url") || attr(script, "data-rostra-url") ||
      meta('link[rel="canonical"]') || location.href.split("#")[0];
    var title = attr(box, "data-rostra-title") || attr(script, "data-rostra-title") ||
      meta('meta[property="og:title"]') || document.title;
    var language = lang(box);
    var theme = attr(box, "data-rostra-theme") || attr(script, "data-rostra-theme");
    var q = "url=" + encodeURIComponent(new URL(url, location.href).href) +
      "&title=" + encodeURIComponent(title) +
      "&lang=" + encodeURIComponent(language) +
      "&origin=" + encodeURIComponent(location.origin) +
      (theme ? "&theme=" + encodeURIComponent(theme) : "");
    frame = document.createElement("iframe");
    frame.className = "rostra-frame";
    frame.src = HOST + "/embed/thread?" + q;
    frame.title = (COUNTS[language] && COUNTS[language].frame_title) || "Comments";
    frame.setAttribute("scrolling", "no");
    frame.style.cssText = "width:100%;min-width:100%;border:0;height:240px;overflow:hidden";
    // A new iframe (refresh() after the page swapped its thread box) starts
    // unready: messages wait for its own "ready", not the old frame's.
    ready = false;
    queue = [];
    box.appendChild(frame);
    var sso = attr(box, "data-rostra-sso") || attr(script, "data-rostra-sso");
    if (sso) send({ rostra: "sso", token: sso });
  }

  window.addEventListener("message", function (e) {
    if (e.origin !== HOST || !frame || e.source !== frame.contentWindow) return;
    var d = e.data || {};
    if (d.rostra === "ready") {
      ready = true;
      while (queue.length) frame.contentWindow.postMessage(queue.shift(), HOST);
    } else if (d.rostra === "resize" && typeof d.height === "number") {
      frame.style.height = Math.max(80, Math.ceil(d.height)) + "px";
    } else if (d.rostra === "count" && typeof d.count === "number") {
      fillCounts(d.url, d.count);
    }
  });

  // One request for every counter on the page (chunks of 100, the API limit).
  function counts() {
    var links = document.querySelectorAll("[data-rostra-count]");
    var urls = [];
    for (var i = 0; i < links.length; i++) {
      var u = attr(links[i], "data-rostra-count") || links[i].href;
      if (u && urls.indexOf(u) < 0) urls.push(u);
    }
    for (var s = 0; s < urls.length; s += 100) {
      var qs = urls.slice(s, s + 100).map(function (u) { return "url=" + encodeURIComponent(u); }).join("&");
      fetch(HOST + "/api/v1/counts?" + qs, { credentials: "omit" })
        .then(function (r) { return r.ok ? r.json() : { counts: {} }; })
        .then(function (body) {
          Object.keys(body.counts || {}).forEach(function (u) {
            // null: no article of this server (a bad URL, no such site); keep the link's text.
            if (typeof body.counts[u] === "number") fillCounts(u, body.counts[u]);
          });
        })
        .catch(function () { /* counts are decoration: leave the links as they are */ });
    }
  }
  function fillCounts(url, n) {
    var links = document.querySelectorAll("[data-rostra-count]");
    for (var i = 0; i < links.length; i++) {
      var el = links[i];
      if ((attr(el, "data-rostra-count") || el.href) !== url) continue;
      el.textContent = countText(n, lang(el));
      el.setAttribute("data-rostra-counted", String(n));
    }
  }

  window.Rostra = {
    version: 1,
    login: function (jwt) { send({ rostra: "sso", token: String(jwt) }); },
    logout: function () { send({ rostra: "logout" }); },
    refresh: function () { mount(); counts(); }
  };

  function start() { mount(); counts(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
