"""Live updates in the embed, in real Chromium: two readers on one story see
each other's comments without a reload; new comments wait behind a button,
replies join under their parent, likes change in place, and nothing the
reader is looking at moves."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, Rostra, sign_in, thread

pytestmark = pytest.mark.browser


def test_two_readers_see_each_other_live(
    browser: Any, third_party_storage: None, rostra: Rostra, article: Any
) -> None:
    where, _ = article()
    olena, taras = rostra.reader("Olena"), rostra.reader("Taras")
    contexts = [browser.new_context(viewport={"width": 900, "height": 900}) for _ in range(2)]
    try:
        one, two = (c.new_page() for c in contexts)
        for page, who in ((one, olena), (two, taras)):
            page.goto(where)
            sign_in(page, who)
        a, b = thread(one), thread(two)

        a.get_by_label("Write a comment").fill("The bridge reopens on Monday.")
        a.get_by_role("button", name="Post comment").click()
        expect(a.locator("#list .body")).to_have_text("The bridge reopens on Monday.")
        # Taras's embed is told, and shows it when he asks: no reload.
        expect(b.locator("#newer")).to_have_text("1 new comment")
        expect(b.locator("#total")).to_have_text("(1)")
        b.locator("#newer").click()
        first = b.locator("#list > li.comment").first
        expect(first.locator(".body")).to_have_text("The bridge reopens on Monday.")
        expect(first.locator("article")).to_be_focused()
        expect(b.locator("#newer")).to_have_count(0)

        # His reply joins Olena's thread under her comment, by itself.
        first.get_by_role("button", name="Reply").click()
        b.get_by_label("Reply to Olena").fill("Which lanes?")
        b.get_by_role("button", name="Post reply").click()
        mine = a.locator("#list > li.comment").first
        expect(mine.locator("ol.replies .body")).to_have_text("Which lanes?")
        expect(a.locator("#total")).to_have_text("(2)")

        # His like shows on her page; her edit on his.
        first.get_by_role("button", name="Like").click()
        expect(mine.locator(":scope > article .likes")).to_have_text("1 like")
        mine.get_by_role("button", name="Edit").click()
        a.get_by_label("Edit your comment").fill("The bridge reopens on **Tuesday**.")
        a.get_by_role("button", name="Save").click()
        expect(first.locator(":scope > article .body strong")).to_have_text("Tuesday")
        # The like he gave is still his to take back (the event said nothing of it).
        expect(first.get_by_role("button", name="Like")).to_have_attribute("aria-pressed", "true")
        one.screenshot(path=str(ARTIFACTS / "live-two-readers.png"), full_page=True)
    finally:
        for c in contexts:
            c.close()


def _top(page: Any, comment_id: int) -> float:
    """Where a comment is on the reader's screen (host viewport coordinates)."""
    box = thread(page).locator(f"#c{comment_id}").bounding_box()
    assert box is not None
    return float(box["y"])


def test_a_reply_above_does_not_move_what_the_reader_reads(
    page: Any, rostra: Rostra, article: Any
) -> None:
    where, url = article(tall="1")
    writer = rostra.reader("Writer")
    made = [rostra.post(writer["token"], url, f"Comment number {n}.\n\n" + "Text. " * 40)
            for n in range(12)]  # fmt: skip
    page.set_viewport_size({"width": 900, "height": 700})
    page.goto(where)
    t = thread(page)
    expect(t.locator("#list > li.comment")).to_have_count(12)
    # An iframe out of view is not laid out (Chromium throttles it): bring
    # it into view, let it take its height, then read down to a comment.
    page.locator("iframe.rostra-frame").scroll_into_view_if_needed()
    page.wait_for_function(
        "() => parseInt(document.querySelector('iframe.rostra-frame').style.height) > 2000"
    )
    reading = made[2]["id"]  # newest first: near the bottom
    box = t.locator(f"#c{reading}").bounding_box()
    assert box is not None
    page.mouse.wheel(0, box["y"] - 100)
    page.wait_for_timeout(500)
    before = _top(page, reading)
    assert 0 < before < 700  # in view
    # A reply to a comment well above the one in view.
    rostra.post(writer["token"], url, "A late reply\n\n" + "More text. " * 60, made[10]["id"])
    expect(
        t.locator(f"#c{made[10]['id']}").locator("xpath=..").locator("ol.replies .body")
    ).to_contain_text("A late reply")
    page.wait_for_timeout(300)
    assert abs(_top(page, reading) - before) < 3  # the reader's comment did not move
    # A new top-level comment waits behind the button instead of pushing the thread.
    rostra.post(writer["token"], url, "Breaking: a newer comment.")
    expect(t.locator("#newer")).to_have_text("1 new comment")
    page.wait_for_timeout(300)
    assert abs(_top(page, reading) - before) < 60  # only the button's row, if in view above
    page.screenshot(path=str(ARTIFACTS / "live-kept-in-place.png"))


def test_a_held_comment_reaches_only_its_author(
    browser: Any, third_party_storage: None, rostra: Rostra, publisher: str
) -> None:
    """On the premoderated site: the author's other tab hears of it; another reader does not."""
    where = f"{publisher.replace('localhost', '127.0.0.1')}/articles/held-live-{id(browser)}"
    url = where
    author, other = rostra.reader("Author"), rostra.reader("Other")
    contexts = [browser.new_context() for _ in range(2)]
    try:
        mine, theirs = (c.new_page() for c in contexts)
        for page, who in ((mine, author), (theirs, other)):
            page.goto(where)
            sign_in(page, who)
        rostra.post(author["token"], url, "Wait for the moderators.")
        expect(thread(mine).locator("#newer")).to_have_text("1 new comment")
        thread(mine).locator("#newer").click()
        expect(thread(mine).locator(".mark.pending")).to_have_count(1)
        theirs.wait_for_timeout(1500)
        expect(thread(theirs).locator("#newer")).to_have_count(0)
        expect(thread(theirs).locator("#list .body")).to_have_count(0)
    finally:
        for c in contexts:
            c.close()
