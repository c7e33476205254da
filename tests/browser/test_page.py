"""The embed on the publisher's page: counts, keyboard use, hostile comments,
and screenshots for people to look at."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, SLUGS, Rostra, sign_in, thread

pytestmark = pytest.mark.browser


def test_counts_on_the_listing_page(page: Any, rostra: Rostra, publisher: str) -> None:
    a = rostra.reader()
    # The listing's stories are shared by every test of this worker: compare before and after.
    base = f"{publisher}/articles/"
    with rostra.api() as c:
        before = c.get("/api/v1/counts", params=[("url", base + s) for s in SLUGS]).json()["counts"]
    rostra.post(a["token"], base + SLUGS[0], "one")
    rostra.post(a["token"], base + SLUGS[0], "two")
    rostra.post(a["token"], base + SLUGS[1], "three")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/api/v1/counts" in r.url else None)
    page.goto(publisher + "/")
    links = page.locator("a[data-rostra-count]")
    n0, n1, n2 = before[base + SLUGS[0]] + 2, before[base + SLUGS[1]] + 1, before[base + SLUGS[2]]
    expect(links.nth(0)).to_have_text(f"{n0} comments")
    expect(links.nth(1)).to_have_text(f"{n1} comment" + ("" if n1 == 1 else "s"))
    expect(links.nth(2)).to_have_text(f"{n2} comment" + ("" if n2 == 1 else "s"))
    assert len(requests) == 1  # one batched request for every link


def test_counts_leave_links_to_no_article_as_they_are(
    page: Any, rostra: Rostra, publisher: str
) -> None:
    """A count of null (a URL that is not an article's: unreadable, or on no
    configured site) leaves the link's own text; 0 is "0 comments"."""
    page.goto(publisher + "/")
    expect(page.locator("a[data-rostra-count]").first).to_have_text(re.compile(r"^\d+ comments?$"))
    page.evaluate("""() => {
        for (const [id, url] of [["bad", "notaurl"], ["elsewhere", "https://elsewhere.example/a"],
                                 ["fresh", location.origin + "/articles/never-commented"]]) {
            const a = document.createElement("a");
            a.id = id;
            a.setAttribute("data-rostra-count", url);
            a.textContent = "Comments";
            document.body.appendChild(a);
        }
    }""")
    page.evaluate("() => window.Rostra.refresh()")
    expect(page.locator("#fresh")).to_have_text("0 comments")
    # Filled from the same answer as #fresh, so already as they will stay.
    expect(page.locator("#bad")).to_have_text("Comments")
    expect(page.locator("#elsewhere")).to_have_text("Comments")
    assert page.locator("#bad").get_attribute("data-rostra-counted") is None


def test_counts_in_ukrainian(page: Any, rostra: Rostra, publisher: str) -> None:
    page.goto(publisher + "/")
    page.evaluate("""() => {
        const a = document.querySelector('a[data-rostra-count]');
        a.setAttribute('data-rostra-lang', 'uk-UA');  // a region is dropped
        a.textContent = '';
    }""")
    # A count element added after load is filled on Rostra.refresh().
    page.evaluate("() => window.Rostra.refresh()")
    expect(page.locator("a[data-rostra-count]").first).to_contain_text("комент")


def test_keyboard_only_posting(page: Any, rostra: Rostra, article: Any) -> None:
    where, _ = article()
    reader = rostra.reader("Keys")
    page.goto(where)
    t = thread(page)
    expect(t.locator("#signin")).to_be_visible()
    t.locator("#signin").focus()
    page.keyboard.press("Enter")
    expect(t.get_by_label("Email")).to_be_focused()
    page.keyboard.type(reader["email"])
    page.keyboard.press("Tab")
    page.keyboard.type(reader["password"])
    page.keyboard.press("Enter")
    expect(t.locator("#signout")).to_be_focused()
    # From the sign-out button, Tab reaches the comment box.
    for _ in range(10):
        page.keyboard.press("Tab")
        if t.get_by_label("Write a comment").evaluate("el => el === document.activeElement"):
            break
    expect(t.get_by_label("Write a comment")).to_be_focused()
    page.keyboard.type("Typed without a mouse")
    page.keyboard.press("Tab")  # to the Post button
    page.keyboard.press("Enter")
    new = t.locator("#list > li.comment").first
    expect(new.locator(".body")).to_have_text("Typed without a mouse")
    expect(new.locator("article")).to_be_focused()
    expect(t.locator("#status")).to_have_text("Your comment was posted.")


PAYLOADS = [
    "<script>window.__pwned = 1; alert('script')</script>",
    "<img src=x onerror=\"window.__pwned = 2; alert('img')\">",
    "[click me](javascript:alert(1))",
    '<svg onload="alert(3)"></svg> <iframe src="javascript:alert(4)"></iframe>',
]


def test_hostile_comments_render_inert(page: Any, rostra: Rostra, article: Any) -> None:
    where, url = article()
    a = rostra.reader('<img src=x onerror="alert(5)">')
    for body in PAYLOADS:
        rostra.post(a["token"], url, body)
    page.goto(where)
    t = thread(page)
    expect(t.locator("#list > li.comment")).to_have_count(len(PAYLOADS))
    # The link is there but not as a javascript: URL; everything else is text.
    # Wait until every image has loaded or failed, so an onerror would have run.
    embed = next(f for f in page.frames if "/embed/thread" in f.url)
    embed.wait_for_function("() => [...document.images].every(i => i.complete)")
    expect(t.locator("#status")).to_have_text(f"{len(PAYLOADS)} comments")
    frame = page.frame_locator("iframe.rostra-frame").locator("body")
    found = frame.evaluate("""b => ({
        scripts: b.querySelectorAll('#list script').length,
        handlers: [...b.querySelectorAll('#list *')].filter(el =>
            [...el.attributes].some(a => a.name.startsWith('on'))).length,
        jsLinks: [...b.querySelectorAll('#list a')].filter(a =>
            (a.getAttribute('href') || '').trim().toLowerCase().startsWith('javascript')).length,
        frames: b.querySelectorAll('#list iframe, #list svg').length,
        pwned: window.__pwned || 0,
    })""")
    assert found == {"scripts": 0, "handlers": 0, "jsLinks": 0, "frames": 0, "pwned": 0}
    assert page.dialogs == []
    expect(t.locator("#list .author").first).to_have_text('<img src=x onerror="alert(5)">')
    assert page.evaluate("window.__pwned || 0") == 0


def test_noscript_link_and_thread_page(page: Any, rostra: Rostra, article: Any) -> None:
    _, url = article()
    a = rostra.reader("Plain")
    rostra.post(a["token"], url, "Readable *without* JavaScript")
    page.goto(f"{rostra.url}/thread?url={url}")
    expect(page.locator(".rostra-body em")).to_have_text("without")
    expect(page.locator(".rostra-author")).to_have_text("Plain")


@pytest.mark.parametrize("mode", ["light", "dark", "phone"])
def test_screenshots(browser: Any, rostra: Rostra, article: Any, mode: str) -> None:
    where, url = article()
    a, b = rostra.reader("Dorota Weiss"), rostra.reader("Piet G.")
    top = rostra.post(
        a["token"], url, "We've had the river in the cellar before. **Never** in the kitchen."
    )
    rostra.post(
        b["token"], url, "The quay wall money was approved in 2021. Where did it go?", top["id"]
    )
    rostra.post(b["token"], url, "Thanks to the rowing club volunteers — real heroes last night.")
    viewport = {"width": 375, "height": 812} if mode == "phone" else {"width": 1000, "height": 900}
    ctx = browser.new_context(viewport=viewport, color_scheme="dark" if mode == "dark" else "light")
    try:
        page = ctx.new_page()
        page.goto(where)
        sign_in(page, rostra.reader("Screenshot Reader"))
        t = thread(page)
        expect(t.locator("#list > li.comment")).to_have_count(2)
        _wait_fitted(page)  # the iframe's height settles
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"article-{mode}.png"), full_page=True)
        width = (
            page.frame_locator("iframe.rostra-frame")
            .locator("html")
            .evaluate("h => h.scrollWidth <= h.clientWidth")
        )
        assert width, "the thread overflows horizontally"
    finally:
        ctx.close()


def test_iframe_fits_its_content_and_ignores_foreign_messages(
    page: Any, rostra: Rostra, article: Any, publisher: str
) -> None:
    where, url = article()
    a = rostra.reader()
    for i in range(6):
        rostra.post(a["token"], url, f"Comment number {i}\n\nwith a second paragraph")
    page.goto(where)
    t = thread(page)
    expect(t.locator("#list > li.comment")).to_have_count(6)
    frame = page.locator("iframe.rostra-frame")
    page.wait_for_function("() => document.querySelector('iframe.rostra-frame').offsetHeight > 400")
    _wait_fitted(page)
    before = frame.evaluate("f => f.style.height")
    # The iframe itself navigates to a page of another origin, which posts a
    # resize: the source is right, so only the origin check can refuse it.
    foreign = publisher.replace("localhost", "127.0.0.1") + "/foreign"
    page.evaluate(
        """url => new Promise((done) => {
        window.addEventListener('message', (e) => {  // runs after the loader's listener
            if (e.data && e.data.height === 7) { window.__foreign = e.origin; done(); }
        });
        document.querySelector('iframe.rostra-frame').src = url;
    })""",
        foreign,
    )
    assert page.evaluate("window.__foreign") == foreign.rsplit("/", 1)[0]
    assert frame.evaluate("f => f.style.height") == before


def _wait_fitted(page: Any) -> None:
    """Until the iframe is as tall as the thread inside it (measured again
    each time: the parts loaded after the first comments, such as the
    author names' handles, may change the thread's height meanwhile)."""
    embed = next(f for f in page.frames if "/embed/thread" in f.url)
    embed.wait_for_function("() => document.readyState === 'complete'")
    outer = "() => document.querySelector('iframe.rostra-frame').getBoundingClientRect().height"
    for _ in range(150):
        inner = embed.evaluate("() => Math.ceil(document.body.getBoundingClientRect().height)")
        if abs(inner - page.evaluate(outer)) <= 2:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"the iframe never fitted the thread ({inner} inside)")


def test_ukrainian_page_gets_ukrainian_thread_and_theme_override(
    page: Any, rostra: Rostra, article: Any
) -> None:
    where, url = article(lang="uk-UA", theme="dark")
    a = rostra.reader()
    for i in range(5):
        rostra.post(a["token"], url, f"Коментар {i}")
    page.goto(where)
    t = thread(page)
    expect(t.locator("#heading")).to_contain_text("Коментарі")
    expect(t.get_by_label("Сортувати")).to_be_visible()
    expect(t.locator("#status")).to_have_text("5 коментарів")
    expect(t.locator("html")).to_have_attribute("data-theme", "dark")
    expect(page.locator("iframe.rostra-frame")).to_have_attribute("title", "Коментарі")


def test_thread_named_by_data_attribute(page: Any, rostra: Rostra, article: Any) -> None:
    _, target = article()
    slug = target.rsplit("/", 1)[1]
    rostra.post(rostra.reader()["token"], target, "Found through data-rostra-url")
    where, _ = article(explicit=slug)  # another page, whose div names the target article
    page.goto(where)
    expect(thread(page).locator(".body")).to_have_text("Found through data-rostra-url")


def test_refresh_mounts_a_new_thread_that_still_gets_sso(
    page: Any, rostra: Rostra, article: Any
) -> None:
    from tests.browser.test_auth import _sso

    page.goto(article()[0])
    expect(thread(page).locator("#signin")).to_be_visible()  # the first iframe is ready
    # A single-page site swaps in the next article's thread box, in Ukrainian.
    page.evaluate(
        """token => {
        document.getElementById('rostra-thread').remove();
        const box = document.createElement('div');
        box.id = 'rostra-thread';
        box.setAttribute('data-rostra-lang', 'uk-UA');
        document.body.append(box);
        window.Rostra.refresh();
        window.Rostra.login(token);
    }""",
        _sso(rostra.sso_secret, "spa", "Single Page"),
    )
    expect(page.locator("iframe.rostra-frame")).to_have_count(1)
    expect(page.locator("iframe.rostra-frame")).to_have_attribute("src", re.compile("lang=uk&"))
    # The token waited for the new iframe's "ready" instead of being lost.
    expect(thread(page).locator("#authbar")).to_contain_text("Single Page")


def test_every_embed_module_is_versioned(page: Any, rostra: Rostra, article: Any) -> None:
    """Modules, imports included, load by versioned URL: an upgrade never mixes releases."""
    loaded: list[str] = []
    page.on("request", lambda r: loaded.append(r.url) if "/static/embed/" in r.url else None)
    page.goto(article()[0])
    sign_in(page, rostra.reader())  # brings in auth.js, imported on demand
    modules = [u for u in loaded if ".js" in u]
    names = {u.split("/static/embed/")[1].split("?")[0] for u in modules}
    assert {"thread.js", "api.js", "dom.js", "i18n.js", "auth.js"} <= names, modules
    assert all("?v=" in u for u in loaded), loaded
    assert len(modules) == len(set(modules))  # preloads and imports share one URL each
