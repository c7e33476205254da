"""Deep reply chains in the embed: nesting stops at the display cap
(ROSTRA_MAX_DISPLAY_DEPTH, 6 here), deeper replies say whom they answer, and
a reply the reader posts, or a further page of replies, lands where the
server will put it after a reload."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from rostra.http.deps import state_of
from tests.browser.conftest import ARTIFACTS, Rostra, sign_in, thread

pytestmark = pytest.mark.browser

NAMES = ("Oksana", "Pieter", "Ines")

# For every comment in the embed, in reading order: its id, how many reply
# lists it sits in, and its "in reply to" label ("" without one).
SHOWN = """() => [...document.querySelectorAll("li.comment")].map(li => {
  let level = 0;
  for (let el = li.parentElement; el; el = el.parentElement) if (el.matches("ol.replies")) level++;
  const label = li.querySelector(":scope > article .reply-to");
  return [Number(li.dataset.id), level, label ? label.textContent : ""];
})"""


def _frame(page: Any) -> Any:
    return next(f for f in page.frames if "/embed/thread" in f.url)


def _chain(rostra: Rostra, url: str, length: int) -> tuple[list[dict[str, Any]], list[str]]:
    """A top-level comment and ``length`` replies each answering the one before."""
    readers = [rostra.reader(n) for n in NAMES]
    made = [rostra.post(readers[0]["token"], url, "depth 0")]
    for depth in range(1, length + 1):
        made.append(rostra.post(readers[depth % 3]["token"], url, f"depth {depth}", made[-1]["id"]))
    return made, [NAMES[d % 3] for d in range(length + 1)]


def test_a_deep_chain_is_capped_labelled_and_replies_land_at_the_cap(
    page: Any, rostra: Rostra, article: Any
) -> None:
    cap = state_of(rostra.app).settings.max_display_depth
    assert cap == 6
    where, url = article()
    made, who = _chain(rostra, url, 9)
    ids = [c["id"] for c in made]
    page.goto(where)
    t = thread(page)
    expect(t.locator("li.comment")).to_have_count(10)
    shown = _frame(page).evaluate(SHOWN)
    assert [s[0] for s in shown] == ids
    assert [s[1] for s in shown] == [min(d, cap) for d in range(10)]
    assert [s[2] for s in shown] == [
        f"in reply to {who[d - 1]}" if d > cap else "" for d in range(10)
    ]

    sign_in(page, rostra.reader("Late Reader"))
    # A reply to the deepest comment goes beside it, at the cap, labelled.
    deepest = t.locator(f"li.comment[data-id='{ids[9]}']")
    deepest.locator("article").first.get_by_role("button", name="Reply").click()
    t.get_by_label(f"Reply to {who[9]}").fill("Replying at the bottom of the chain")
    t.get_by_role("button", name="Post reply").click()
    # (Articles do not nest, so their text finds one; a list item's holds its replies'.)
    mine = t.locator("article").filter(has_text="Replying at the bottom of the chain")
    expect(mine).to_be_focused()
    expect(mine.locator(".reply-to")).to_have_text(f"in reply to {who[9]}")
    # A reply to a comment above the cap nests under it, with no label.
    above = t.locator(f"li.comment[data-id='{ids[4]}']")
    above.locator(":scope > article").get_by_role("button", name="Reply").click()
    t.get_by_label(f"Reply to {who[4]}").fill("Replying higher up")
    t.get_by_role("button", name="Post reply").click()
    higher = t.locator("article").filter(has_text="Replying higher up")
    expect(higher.locator(".body")).to_be_visible()
    expect(higher.locator(".reply-to")).to_have_count(0)

    def placement() -> dict[int, tuple[int, str]]:
        return {s[0]: (s[1], s[2]) for s in _frame(page).evaluate(SHOWN)}

    now = placement()
    at_cap, higher_up = (int(str(x.get_attribute("id"))[1:]) for x in (mine, higher))
    assert now[at_cap] == (cap, f"in reply to {who[9]}")
    assert now[higher_up] == (5, "")
    # The new reply is the last at the cap, after the comment it answers.
    level6 = [s[0] for s in _frame(page).evaluate(SHOWN) if s[1] == cap]
    assert level6 == [*ids[6:], at_cap]

    _wait_settled(page)
    # A full-page capture paints the cross-origin iframe only within the
    # viewport: make the viewport as tall as the page instead.
    height = page.evaluate("() => document.documentElement.scrollHeight")
    page.set_viewport_size({"width": 1000, "height": height})
    page.evaluate("() => scrollTo(0, 0)")
    _wait_settled(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "deep-replies.png"))

    # The server puts them in the same places after a reload.
    page.reload()
    expect(thread(page).locator("li.comment")).to_have_count(12)
    assert placement() == now


def test_further_replies_of_a_deep_chain_land_at_the_cap(
    page: Any, rostra: Rostra, article: Any
) -> None:
    where, url = article()
    made, who = _chain(rostra, url, 53)  # 50 replies on the first page, 3 more
    page.goto(where)
    t = thread(page)
    expect(t.locator("li.comment")).to_have_count(51)
    t.get_by_role("button", name="Show more replies").click()
    expect(t.locator("li.comment")).to_have_count(54)
    shown = _frame(page).evaluate(SHOWN)
    assert [s[0] for s in shown] == [c["id"] for c in made]
    assert max(s[1] for s in shown) == 6
    for depth in (51, 52, 53):
        assert shown[depth][1:] == [6, f"in reply to {who[depth - 1]}"]

    # Without JavaScript: the same cap on /thread, and a link to the rest.
    page.goto(f"{rostra.url}/thread?url={url}")
    expect(page.locator("h1")).to_have_text("Comments (54)")
    deepest = " ".join(["ol.rostra-replies"] * 6) + " > li.rostra-comment"
    expect(page.locator(deepest)).to_have_count(45)  # depths 6 to 50
    expect(page.locator("ol.rostra-replies " + deepest)).to_have_count(0)
    label = page.locator(f"#comment-{made[7]['id']} .rostra-reply-to")
    expect(label).to_have_text(f"in reply to {who[6]}")
    _shoot(page, "deep-replies-nojs.png")
    page.get_by_role("link", name="Show more replies").click()
    expect(page).to_have_url(re.compile(rf"/thread/{made[0]['id']}\?cursor="))
    expect(page.locator("h1")).to_have_text(f"Comment by {who[0]}")
    items = page.locator("li.rostra-comment")
    expect(items).to_have_count(4)  # the thread's top comment and the three not shown before
    first_new = page.locator(f"#comment-{made[51]['id']}")
    expect(first_new.locator(".rostra-reply-to")).to_have_text(f"in reply to {who[50]}")
    expect(page.locator(f"#comment-{made[53]['id']} .rostra-reply-to")).to_have_count(0)
    _shoot(page, "deep-replies-nojs-rest.png")
    page.get_by_role("link", name="All comments").click()
    expect(page.locator("h1")).to_have_text("Comments (54)")


def _shoot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def _wait_settled(page: Any) -> None:
    """Until the iframe is as tall as the thread inside it."""
    inner = _frame(page).evaluate("() => Math.ceil(document.body.getBoundingClientRect().height)")
    page.wait_for_function(
        """inner => Math.abs(inner -
        document.querySelector('iframe.rostra-frame').getBoundingClientRect().height) <= 2""",
        arg=inner,
    )


def test_held_comments_are_marked_for_their_author_only(
    page: Any, context: Any, rostra: Rostra, article: Any
) -> None:
    """A reply whose parent is held shows under the top comment, saying it
    answers another comment; the held author sees their comments, marked."""
    from sqlalchemy import update

    from rostra.models import Comment

    where, url = article()
    olena, bob = rostra.reader("Olena"), rostra.reader("Bob Held")
    top = rostra.post(olena["token"], url, "Top comment")
    held = rostra.post(bob["token"], url, "Held for a moderator", top["id"])
    under = rostra.post(olena["token"], url, "Answering the held one", held["id"])
    rejected = rostra.post(bob["token"], url, "Rejected by a moderator")
    with state_of(rostra.app).write_sessions() as db:
        for comment, status in ((held, "pending"), (rejected, "rejected")):
            db.execute(update(Comment).where(Comment.id == comment["id"]).values(status=status))
        db.commit()  # (nobody has read the story yet: no cached page to retire)

    page.goto(where)
    t = thread(page)
    expect(t.locator("li.comment")).to_have_count(2)
    expect(t.locator("#list")).not_to_contain_text("Held for a moderator")
    expect(t.locator("#list")).not_to_contain_text("Rejected by a moderator")
    shown = {s[0]: s[1:] for s in _frame(page).evaluate(SHOWN)}
    assert shown[under["id"]] == [1, "in reply to another comment"]

    sign_in(page, bob)
    expect(t.locator("li.comment")).to_have_count(4)
    expect(t.locator(f"#c{held['id']} .mark.pending")).to_have_text("Awaiting moderation")
    expect(t.locator(f"#c{rejected['id']} .mark.pending")).to_have_text(
        "Not published: removed by a moderator"
    )
    shown = {s[0]: s[1:] for s in _frame(page).evaluate(SHOWN)}
    assert shown[held["id"]] == [1, ""] and shown[under["id"]] == [2, ""]
