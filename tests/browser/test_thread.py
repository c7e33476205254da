"""The comment thread in the embed: posting, replying, editing, deleting,
liking, sorting and paging, in real Chromium on a publisher's page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from rostra.http.deps import state_of
from tests.browser.conftest import Rostra, sign_in, thread

pytestmark = pytest.mark.browser


def test_post_a_comment_and_a_reply(page: Any, rostra: Rostra, article: Any) -> None:
    where, _ = article()
    reader = rostra.reader("Marta")
    page.goto(where)
    sign_in(page, reader)
    t = thread(page)
    t.get_by_label("Write a comment").fill("The quay wall should have been *finished* years ago.")
    t.get_by_role("button", name="Post comment").click()
    first = t.locator("#list > li.comment").first
    expect(first.locator(".body em")).to_have_text("finished")
    expect(first.locator(".author")).to_have_text("Marta")
    expect(first.locator("article")).to_be_focused()
    expect(t.locator("#total")).to_have_text("(1)")
    first.get_by_role("button", name="Reply").click()
    t.get_by_label("Reply to Marta").fill("Agreed, and the flood gates too.")
    t.get_by_role("button", name="Post reply").click()
    reply = first.locator("ol.replies > li.comment")
    expect(reply.locator(".body")).to_have_text("Agreed, and the flood gates too.")
    expect(reply.locator("article")).to_be_focused()
    expect(t.locator("#total")).to_have_text("(2)")
    # After a reload both are there, the reply under its parent.
    page.reload()
    expect(thread(page).locator("#list > li.comment ol.replies .body")).to_have_text(
        "Agreed, and the flood gates too."
    )


def test_edit_own_comment(page: Any, rostra: Rostra, article: Any) -> None:
    where, url = article()
    reader = rostra.reader()
    rostra.post(reader["token"], url, "Frist!")
    page.goto(where)
    sign_in(page, reader)
    t = thread(page)
    t.get_by_role("button", name="Edit").click()
    box = t.get_by_label("Edit your comment")
    expect(box).to_have_value("Frist!")
    box.fill("First, and **spelled** right.")
    t.get_by_role("button", name="Save").click()
    expect(t.locator(".body strong")).to_have_text("spelled")
    expect(t.locator(".mark.edited")).to_have_text("edited")


def test_edit_is_offered_only_within_the_window(page: Any, rostra: Rostra, article: Any) -> None:
    from rostra.models import Comment

    where, url = article()
    reader = rostra.reader()
    other = rostra.reader()
    rostra.post(other["token"], url, "Someone else's comment")
    old = rostra.post(reader["token"], url, "Written long ago")
    fresh = rostra.post(reader["token"], url, "Written just now")
    window = state_of(rostra.app).settings.edit_window_seconds
    with state_of(rostra.app).write_sessions() as db:
        row = db.get(Comment, old["id"])
        assert row is not None
        row.created_at = datetime.now(UTC) - timedelta(seconds=window + 120)
        db.commit()
    page.goto(where)
    sign_in(page, reader)
    t = thread(page)
    theirs = t.locator("li.comment", has_text="Someone else's comment")
    expect(theirs.locator(".body")).to_be_visible()
    expect(theirs.get_by_role("button", name="Edit")).to_have_count(0)
    expect(theirs.get_by_role("button", name="Delete")).to_have_count(0)
    # The author may still delete an old comment, but no longer edit it.
    expect(t.locator(f"#c{old['id']}").get_by_role("button", name="Delete")).to_have_count(1)
    expect(t.locator(f"#c{old['id']}").get_by_role("button", name="Edit")).to_have_count(0)
    expect(t.locator(f"#c{fresh['id']}").get_by_role("button", name="Edit")).to_have_count(1)


def test_delete_own_comment(page: Any, rostra: Rostra, article: Any) -> None:
    where, url = article()
    reader = rostra.reader()
    other = rostra.reader("Other")
    parent = rostra.post(reader["token"], url, "I will regret this")
    rostra.post(other["token"], url, "A reply keeps the place", parent["id"])
    rostra.post(reader["token"], url, "Delete me entirely")
    page.goto(where)
    sign_in(page, reader)
    t = thread(page)
    alone = t.locator("li.comment", has_text="Delete me entirely")
    alone.get_by_role("button", name="Delete").click()
    alone.locator(".confirm").get_by_role("button", name="Delete").click()
    expect(t.locator("li.comment", has_text="Delete me entirely")).to_have_count(0)
    kept = t.locator("#list > li.comment", has_text="I will regret this")
    kept.locator("article").first.get_by_role("button", name="Delete").click()
    kept.locator(".confirm").get_by_role("button", name="Delete").click()
    expect(t.locator(".deleted-note")).to_have_text("This comment was deleted.")
    expect(t.locator(".body", has_text="A reply keeps the place")).to_have_count(1)
    page.reload()
    expect(thread(page).locator(".deleted-note")).to_have_count(1)


def test_like_and_unlike(page: Any, rostra: Rostra, article: Any) -> None:
    where, url = article()
    author = rostra.reader()
    rostra.post(author["token"], url, "Like me")
    page.goto(where)
    sign_in(page, rostra.reader())
    like = thread(page).locator("button.like")
    expect(like).to_have_attribute("aria-pressed", "false")
    like.click()
    expect(like).to_have_attribute("aria-pressed", "true")
    expect(like.locator(".n")).to_have_text(" 1")
    page.reload()
    like = thread(page).locator("button.like")
    expect(like).to_have_attribute("aria-pressed", "true")
    like.click()
    expect(like).to_have_attribute("aria-pressed", "false")
    expect(like.locator(".n")).to_have_text(" 0")


def test_action_error_clears_on_the_next_success(page: Any, rostra: Rostra, article: Any) -> None:
    where, url = article()
    rostra.post(rostra.reader()["token"], url, "Like me twice")
    page.goto(where)
    sign_in(page, rostra.reader())
    t = thread(page)
    failures = [1]

    def once(route: Any) -> None:
        if failures:
            failures.pop()
            route.fulfill(status=503, json={"error": "unavailable", "detail": "Try later."})
        else:
            route.continue_()

    page.route("**/reactions/like", once)
    t.locator("button.like").click()
    expect(t.locator("#alert")).to_have_text("Try later.")
    t.locator("button.like").click()
    expect(t.locator("button.like")).to_have_attribute("aria-pressed", "true")
    expect(t.locator("#alert")).to_be_hidden()


def _like(rostra: Rostra, token: str, comment_id: int) -> None:
    with rostra.api() as c:
        r = c.put(
            f"/api/v1/comments/{comment_id}/reactions/like",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 200, r.text


def test_same_text_twice_makes_two_comments(page: Any, rostra: Rostra, article: Any) -> None:
    where, url = article()
    page.goto(where)
    sign_in(page, rostra.reader())
    t = thread(page)
    for n in (1, 2):
        t.get_by_label("Write a comment").fill("Thanks!")
        t.get_by_role("button", name="Post comment").click()
        expect(t.locator("#list > li.comment")).to_have_count(n)
        expect(t.get_by_label("Write a comment")).to_have_value("")
    with rostra.api() as c:
        comments = c.get("/api/v1/comments", params={"url": url}).json()["comments"]
    assert len(comments) == 2 and all("Thanks!" in x["html"] for x in comments)


def test_sort(page: Any, rostra: Rostra, article: Any) -> None:
    where, url = article()
    a = rostra.reader()
    first = rostra.post(a["token"], url, "one")
    rostra.post(a["token"], url, "two")
    third = rostra.post(a["token"], url, "three")
    for _ in range(2):
        _like(rostra, rostra.reader()["token"], first["id"])
    _like(rostra, rostra.reader()["token"], third["id"])
    page.goto(where)
    bodies = thread(page).locator("#list > li.comment > article .body")
    expect(bodies).to_have_text(["three", "two", "one"])
    thread(page).get_by_label("Sort by").select_option("oldest")
    expect(bodies).to_have_text(["one", "two", "three"])
    thread(page).get_by_label("Sort by").select_option("top")
    expect(bodies).to_have_text(["one", "three", "two"])


def test_load_more_comments_and_replies(page: Any, rostra: Rostra, article: Any) -> None:
    where, url = article()
    a = rostra.reader()
    root = rostra.post(a["token"], url, "root")
    for i in range(55):
        rostra.post(a["token"], url, f"reply {i}", root["id"])
    for i in range(22):
        rostra.post(a["token"], url, f"top {i}")
    page.goto(where)
    t = thread(page)
    expect(t.locator("#list > li.comment")).to_have_count(20)
    with page.expect_response(
        lambda r: "/api/v1/comments?" in r.url and "cursor=" in r.url
    ) as more:
        t.get_by_role("button", name="Load more comments").click()
    # The next page itself: what the embed was given, should the list below disagree.
    assert more.value.status == 200
    assert len(more.value.json()["comments"]) == 3
    expect(t.locator("#alert")).to_be_hidden()
    expect(t.locator("#list > li.comment")).to_have_count(23)
    expect(t.get_by_role("button", name="Load more comments")).to_be_hidden()
    rooted = t.locator("#list > li.comment", has_text="root")
    expect(rooted.locator("ol.replies > li.comment")).to_have_count(50)
    rooted.get_by_role("button", name="Show more replies").click()
    expect(rooted.locator("ol.replies > li.comment")).to_have_count(55)
    expect(rooted.locator("ol.replies > li.comment").last).to_contain_text("reply 54")


def _own_reply_under_long_thread(
    page: Any, rostra: Rostra, article: Any, n_replies: int
) -> tuple[Any, Any, dict[str, Any], list[Any]]:
    """A root with ``n_replies`` replies (50 shown), then a new reader's own reply
    posted on the page. Returns the root's item, its reply items, the author
    and the replies as posted."""
    where, url = article()
    a = rostra.reader()
    root = rostra.post(a["token"], url, "root")
    posted = [rostra.post(a["token"], url, f"reply {i}", root["id"]) for i in range(n_replies)]
    page.goto(where)
    sign_in(page, rostra.reader("Late"))
    t = thread(page)
    rooted = t.locator("#list > li.comment", has_text="root")
    replies = rooted.locator("ol.replies > li.comment")
    expect(replies).to_have_count(50)
    rooted.locator("article").first.get_by_role("button", name="Reply").click()
    t.get_by_label("Reply to").fill("My late reply")
    t.get_by_role("button", name="Post reply").click()
    expect(replies).to_have_count(51)
    return rooted, replies, a, posted


def test_more_replies_skip_the_readers_own_new_reply(
    page: Any, rostra: Rostra, article: Any
) -> None:
    rooted, replies, _, _ = _own_reply_under_long_thread(page, rostra, article, 52)
    # The next page of replies holds replies 50, 51 and this reader's own: shown once.
    rooted.get_by_role("button", name="Show more replies").click()
    expect(replies).to_have_count(53)
    expect(rooted.get_by_role("button", name="Show more replies")).to_have_count(0)
    expect(replies.filter(has_text="My late reply")).to_have_count(1)
    expect(replies.filter(has_text="reply 51")).to_have_count(1)


def test_comment_too_long_and_api_errors_are_shown(page: Any, rostra: Rostra, article: Any) -> None:
    where, _ = article()
    page.goto(where)
    sign_in(page, rostra.reader())
    t = thread(page)
    t.get_by_label("Write a comment").fill("   ")
    t.get_by_role("button", name="Post comment").click()
    alert = t.locator("#compose [role=alert]")
    expect(alert).to_be_visible()
    expect(alert).not_to_be_empty()
    t.get_by_label("Write a comment").fill("x" * 5001)
    expect(t.locator("#compose .counter")).to_have_text("5001 / 5000")
    expect(t.locator("#compose .counter")).to_have_class("counter over")


def test_pending_comment_is_marked(page: Any, rostra: Rostra, publisher: str) -> None:
    # The same publisher server, reached as 127.0.0.1, is the pre-moderated site.
    where = publisher.replace("localhost", "127.0.0.1") + "/articles/premod-story"
    page.goto(where)
    sign_in(page, rostra.reader())
    t = thread(page)
    t.get_by_label("Write a comment").fill("Waiting for a moderator")
    t.get_by_role("button", name="Post comment").click()
    expect(t.locator("#list .mark.pending")).to_have_text("Awaiting moderation")
    expect(t.locator("#status")).to_have_text("Your comment was received and awaits moderation.")
    expect(t.locator("#total")).to_have_text("(0)")


def test_closed_story_shows_notice(page: Any, rostra: Rostra, article: Any) -> None:
    where, url = article()
    first = rostra.post(rostra.reader()["token"], url, "Before closing")
    with rostra.api() as c:
        story = c.get("/api/v1/comments", params={"url": url}).json()["story"]
        r = c.patch(
            f"/api/v1/stories/{story['id']}",
            json={"is_closed": True},
            headers={"Authorization": f"Bearer {rostra.admin_token()}"},
        )
        assert r.status_code == 200, r.text
    page.goto(where)
    sign_in(page, rostra.reader())
    t = thread(page)
    expect(t.locator("#compose .notice")).to_have_text("Comments are closed on this story.")
    expect(t.get_by_label("Write a comment")).to_have_count(0)
    expect(t.locator(f"#c{first['id']}").get_by_role("button", name="Reply")).to_have_count(0)


def test_more_replies_with_nothing_new_keeps_focus_in_the_thread(
    page: Any, rostra: Rostra, article: Any
) -> None:
    rooted, replies, a, posted = _own_reply_under_long_thread(page, rostra, article, 51)
    last = posted[-1]
    # The one reply not yet shown goes: the next page holds only the reader's own.
    with rostra.api() as c:
        r = c.delete(
            f"/api/v1/comments/{last['id']}", headers={"Authorization": f"Bearer {a['token']}"}
        )
        assert r.status_code in (200, 204), r.text
    more = rooted.get_by_role("button", name="Show more replies")
    more.focus()
    page.keyboard.press("Enter")
    expect(more).to_have_count(0)
    expect(replies).to_have_count(51)
    expect(replies.last.locator("article")).to_be_focused()
