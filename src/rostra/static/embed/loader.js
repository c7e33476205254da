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
  // data-rostra-NAME of the thread's element, else of the script tag.
  function opt(el, name) {
    return attr(el, "data-rostra-" + name) || attr(script, "data-rostra-" + name);
  }
  function meta(sel) {
    var el = document.querySelector(sel);
    return el ? (el.getAttribute("content") || el.getAttribute("href") || "") : "";
  }
  // "uk-UA" -> "uk": the catalogue is keyed by language only.
  function lang(el) {
    var l = opt(el, "lang") || document.documentElement.lang || "en";
    return l.toLowerCase().split("-")[0];
  }
  function countText(n, language) {
    var forms = COUNTS[language] || COUNTS.en;
    if (!forms) return String(n);
    var cat = "other";
    try { cat = new Intl.PluralRules(language).select(n); } catch (e) { /* old browser */ }
    return (forms[cat] || forms.other).replace("{n}", n.toLocaleString(language));
  }

  // [r, g, b, alpha] of a computed colour; a canvas converts those that
  // the computed style keeps in their own space (oklch(), color()…).
  var ctx;
  function rgba(c) {
    if (/^rgb/.test(c)) return c.match(/[\d.]+/g).map(Number).concat(1);
    ctx = ctx || document.createElement("canvas").getContext("2d", { willReadFrequently: true });
    ctx.clearRect(0, 0, 1, 1);
    ctx.fillStyle = c;
    ctx.fillRect(0, 0, 1, 1);
    c = ctx.getImageData(0, 0, 1, 1).data;
    return [c[0], c[1], c[2], c[3] / 255];
  }
  function hex(c) {
    return "#" + c.slice(0, 3).map(function (v) { return (256 + Math.round(v)).toString(16).slice(1); }).join("");
  }
  // The page's look where the thread sits: the first mostly opaque
  // background up from the box (else the canvas of the page's scheme), its
  // text colour and font. The scheme: data-rostra-theme, else dark where
  // light text contrasts more with that background (WCAG luminance < 0.179).
  function look(box) {
    var el = box, bg, s = getComputedStyle(box), lum = 0;
    while (el && (bg = rgba(getComputedStyle(el).backgroundColor))[3] < 0.5) el = el.parentElement;
    if (!el) {
      el = document.documentElement.appendChild(document.createElement("i"));
      el.style.background = "Canvas";
      bg = rgba(getComputedStyle(el).backgroundColor);
      el.remove();
    }
    for (var i = 0; i < 3; i++) lum += [0.2126, 0.7152, 0.0722][i] * Math.pow((bg[i] / 255 + 0.055) / 1.055, 2.4);
    var pin = opt(box, "theme");
    return {
      theme: /^(light|dark)$/.test(pin) ? pin : lum < 0.179 ? "dark" : "light",
      bg: hex(bg),
      fg: hex(rgba(s.color)),
      font: (opt(box, "font") || s.fontFamily).slice(0, 300)
    };
  }

  var frame = null;
  var ready = false;
  var queue = [];
  var shown = "";

  function send(msg) {
    if (!frame) return;
    if (!ready) { queue.push(msg); return; }
    frame.contentWindow.postMessage(msg, HOST);
  }

  function deep() {
    var m = /^#rostra-comment-(\d+)$/.exec(location.hash);
    return m && m[1];
  }

  function mount() {
    var box = document.getElementById("rostra-thread") ||
      document.querySelector("[data-rostra-url]:not([data-rostra-count]):not(script)");
    if (!box || box.querySelector("iframe.rostra-frame")) return;
    var url = opt(box, "url") || meta('link[rel="canonical"]') || location.href.split("#")[0];
    var title = opt(box, "title") || meta('meta[property="og:title"]') || document.title;
    var language = lang(box);
    var l = look(box);
    var accent = opt(box, "accent");
    var q = "url=" + encodeURIComponent(new URL(url, location.href).href) +
      "&title=" + encodeURIComponent(title) +
      "&lang=" + encodeURIComponent(language) +
      "&origin=" + encodeURIComponent(location.origin);
    for (var k in l) q += "&" + k + "=" + encodeURIComponent(l[k]);
    if (accent) q += "&accent=" + encodeURIComponent(accent);
    // A link to one comment (ARTICLE#rostra-comment-ID) opens the thread there.
    if (deep()) q += "&comment=" + deep();
    shown = JSON.stringify(l);
    frame = document.createElement("iframe");
    frame.className = "rostra-frame";
    frame.src = HOST + "/embed/thread?" + q;
    frame.title = (COUNTS[language] && COUNTS[language].frame_title) || "Comments";
    frame.setAttribute("scrolling", "no");
    frame.style.cssText = "width:100%;min-width:100%;border:0;height:240px;overflow:hidden";
    // The same scheme as the page inside, or Chromium paints an opaque
    // backdrop behind the thread.
    frame.style.colorScheme = l.theme;
    // A new iframe (refresh() after the page swapped its thread box) starts
    // unready: messages wait for its own "ready", not the old frame's.
    ready = false;
    queue = [];
    box.appendChild(frame);
    var sso = opt(box, "sso");
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
      // A live change above what the reader reads: keep it in place.
      if (typeof d.by === "number" && isFinite(d.by)) window.scrollBy(0, d.by);
      // A deep link: the comment `at` pixels down the thread comes into view.
      if (typeof d.at === "number" && isFinite(d.at)) window.scrollTo(0, frame.getBoundingClientRect().top + scrollY + d.at - 60);
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

  // A page that changes its look (a dark-mode switch) is read again: after
  // a change of the root's or body's attributes, of the reader's scheme, or
  // a colour transition around the thread; the thread hears of a change.
  function restyle() {
    if (!frame || !frame.parentNode) return;
    var l = look(frame.parentNode);
    if (JSON.stringify(l) === shown) return;
    shown = JSON.stringify(l);
    frame.style.colorScheme = l.theme;
    l.rostra = "look";
    send(l);
  }

  // The thread waits for the page's style sheets (an async script may run
  // before they are in, and read a look the page does not have), for three
  // seconds at most; the look is read again once the page has loaded.
  function start() {
    var waiting = 1;
    var go = function () { if (!--waiting) mount(); };
    [].forEach.call(document.querySelectorAll('link[rel~="stylesheet"]'), function (l) {
      if (!l.sheet) { waiting++; l.addEventListener("load", go); l.addEventListener("error", go); }
    });
    go();
    setTimeout(function () { if (waiting > 0) { waiting = 1; go(); } }, 3000);
    counts();
    var watch = new MutationObserver(restyle);
    watch.observe(document.documentElement, { attributes: true });
    watch.observe(document.body, { attributes: true });
    matchMedia("(prefers-color-scheme: dark)").addEventListener("change", restyle);
    addEventListener("load", restyle);
    // The page's own links to a comment of this thread, after it loaded.
    addEventListener("hashchange", function () { if (deep()) send({ rostra: "comment", id: +deep() }); });
    document.addEventListener("transitionend", function (e) {
      if (e.target.contains(frame)) restyle();
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
