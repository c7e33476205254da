"""POST /comments: what is stored, what is answered, and every refusal."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rostra.comments.schemas import CommentOut
from rostra.db.base import utcnow
from rostra.http.deps import state_of
from rostra.models import Site
from tests.comments.conftest import (
    API,
    comment_row,
    page,
    post,
    quick_reader,
    rows,
    set_user,
    story_row,
    user_id,
)
from tests.factories import ARTICLE, OTHER_ARTICLE, add_site, assert_inert, reader


def test_first_comment_creates_the_story(client: TestClient, app: FastAPI, site: Site) -> None:
    alice = reader(client, display_name="Alice")  # registered and signed in for real
    r = post(
        client, alice, "Hello **all**", url=ARTICLE + "?utm_source=x#c", title="River crossing"
    )
    c = CommentOut.model_validate(r.json())
    assert c.status == "published" and c.depth == 0 and c.thread_id == c.id
    assert c.html == "<p>Hello <strong>all</strong></p>"
    assert c.body == "Hello **all**" and c.is_mine and c.editable_until is not None
    assert c.author is not None and c.author.display_name == "Alice"
    story = story_row(app)
    assert story is not None
    assert story.title == "River crossing" and story.comment_count == 1
    # A later title does not replace the first one.
    post(client, alice, url=ARTICLE, title="Another title")
    story = story_row(app)
    assert story is not None and story.title == "River crossing" and story.comment_count == 2
    assert rows(app) == (2, 1)


def test_reply_sets_thread_depth_and_counts(
    client: TestClient, app: FastAPI, alice: dict[str, str], bob: dict[str, str]
) -> None:
    top = post(client, alice).json()
    reply = post(client, bob, "reply", parent_id=top["id"]).json()
    deeper = post(client, alice, "deeper", parent_id=reply["id"]).json()
    assert (reply["thread_id"], reply["depth"], reply["parent_id"]) == (top["id"], 1, top["id"])
    assert (deeper["thread_id"], deeper["depth"]) == (top["id"], 2)
    top_row, reply_row = comment_row(app, top["id"]), comment_row(app, reply["id"])
    assert top_row is not None and top_row.reply_count == 1
    assert reply_row is not None and reply_row.reply_count == 1
    story = story_row(app)
    assert story is not None and story.comment_count == 3


def test_premoderated_site_answers_202_pending(client: TestClient, app: FastAPI) -> None:
    add_site(app, "pre", ["https://pre.example"], moderation="pre")
    author, other = quick_reader(app), quick_reader(app)
    url = "https://pre.example/a"
    r = post(client, author, url=url, expect=202)
    assert r.json()["status"] == "pending"
    story = story_row(app, url)
    assert story is not None and story.comment_count == 0
    assert page(client, url)["comments"] == []
    assert page(client, url, other)["comments"] == []
    mine = page(client, url, author)["comments"]
    assert [c["status"] for c in mine] == ["pending"]


def test_unverified_email_refused_where_required(client: TestClient, app: FastAPI) -> None:
    add_site(app, "strict", ["https://strict.example"], require_verified_email=True)
    headers = quick_reader(app)
    r = post(client, headers, url="https://strict.example/a", expect=403)
    assert r.json()["error"] == "email_not_verified"
    assert rows(app) == (0, 0)
    set_user(app, user_id(client, headers), email_verified_at=utcnow())
    post(client, headers, url="https://strict.example/a")


def test_suspended_account_refused(client: TestClient, app: FastAPI, alice: dict[str, str]) -> None:
    set_user(app, user_id(client, alice), is_suspended=True)
    r = post(client, alice, expect=403)
    assert r.json()["error"] == "account_suspended"
    assert rows(app) == (0, 0)


def test_signed_out_refused(client: TestClient, app: FastAPI, site: Site) -> None:
    r = post(client, {}, expect=401)
    assert r.json()["error"] == "not_authenticated"
    r = post(client, {"Authorization": "Bearer nonsense"}, expect=401)
    assert rows(app) == (0, 0)


BAD_BODIES: list[tuple[Any, int, str, str | None]] = [
    ({"body": ""}, 422, "body_empty", "body"),
    ({"body": "   \n\t  \r\n "}, 422, "body_empty", "body"),
    ({"body": "\u200b\u200b"}, 422, "body_empty", "body"),
    # Blank once rendered: nothing a reader would see.
    ({"body": "&nbsp;"}, 422, "body_empty", "body"),
    ({"body": "\u00a0\u3000"}, 422, "body_empty", "body"),
    ({"body": "\u3164"}, 422, "body_empty", "body"),
    ({"body": "\u2800"}, 422, "body_empty", "body"),
    ({"body": "\u0301\u0302"}, 422, "body_empty", "body"),
    ({"body": "\ufe0f"}, 422, "body_empty", "body"),
    ({"body": "[](https://x.example)"}, 422, "body_empty", "body"),
    ({"body": "![]()"}, 422, "body_empty", "body"),
    ({"body": ">" * 3000}, 422, "body_empty", "body"),
    ({"body": "x" * 5001}, 422, "body_too_long", "body"),
    ({"body": "a\x00b"}, 422, "invalid_characters", "body"),
    ({"body": "bell\x07"}, 422, "invalid_characters", "body"),
    ({"body": "esc\x1b[31m"}, 422, "invalid_characters", "body"),
    ({"body": "ok", "title": "nul\x00"}, 422, "invalid_characters", "title"),
    ({"body": 42}, 422, "validation_error", "body"),
    ({"body": ["x"]}, 422, "validation_error", "body"),
    ({"body": None}, 422, "validation_error", "body"),
    ({"body": "ok", "parent_id": "1"}, 422, "validation_error", "parent_id"),
    ({"body": "ok", "parent_id": 1.5}, 422, "validation_error", "parent_id"),
    ({"body": "ok", "parent_id": True}, 422, "validation_error", "parent_id"),
    ({"body": "ok", "title": 7}, 422, "validation_error", "title"),
    ({"body": "ok", "url": 7}, 422, "validation_error", "url"),
    ({"body": "ok", "extra": 1}, 422, "validation_error", "extra"),
    ({"body": "ok", "parent_id": 999_999}, 422, "parent_not_found", "parent_id"),
    ({"body": "ok", "parent_id": 2**40}, 422, "parent_not_found", "parent_id"),
    ({"body": "ok", "url": "https://elsewhere.example/a"}, 422, "url_not_allowed", "url"),
    ({"body": "ok", "url": "ftp://news.example/a"}, 422, "invalid_url", "url"),
    ({"body": "ok", "url": "/relative"}, 422, "invalid_url", "url"),
    ({"body": "ok", "url": ""}, 422, "invalid_url", "url"),
]


@pytest.mark.parametrize(("fields", "status", "code", "field"), BAD_BODIES)
def test_bad_input_is_refused_and_writes_nothing(
    client: TestClient,
    app: FastAPI,
    alice: dict[str, str],
    fields: dict[str, Any],
    status: int,
    code: str,
    field: str | None,
) -> None:
    before = rows(app)
    r = client.post(f"{API}/comments", json={"url": ARTICLE, **fields}, headers=alice)
    assert r.status_code == status, r.text
    assert r.json()["error"] == code
    assert r.json().get("field") == field
    assert rows(app) == before


def test_missing_fields(client: TestClient, app: FastAPI, alice: dict[str, str]) -> None:
    bodies: list[Any] = [{"url": ARTICLE}, {"body": "x"}, {}, [], "text", 5]
    for body in bodies:
        r = client.post(f"{API}/comments", json=body, headers=alice)
        assert r.status_code == 422, r.text
        assert r.json()["error"] == "validation_error"
    assert rows(app) == (0, 0)


@pytest.mark.parametrize(
    ("raw", "ctype", "status", "code"),
    [
        (b'{"url": "x", "body": ', "application/json", 400, "invalid_json"),
        (b"not json", "application/json", 400, "invalid_json"),
        (
            b'{"url": "' + ARTICLE.encode() + b'", "body": "caf\xe9"}',
            "application/json",
            400,
            "invalid_encoding",
        ),
        (b"body=hello", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    ],
)
def test_unreadable_bodies(
    client: TestClient,
    app: FastAPI,
    alice: dict[str, str],
    raw: bytes,
    ctype: str,
    status: int,
    code: str,
) -> None:
    r = client.post(f"{API}/comments", content=raw, headers={**alice, "Content-Type": ctype})
    assert r.status_code == status, r.text
    assert r.json()["error"] == code
    assert rows(app) == (0, 0)


def test_escaped_nul_in_json_refused(
    client: TestClient, app: FastAPI, alice: dict[str, str]
) -> None:
    raw = b'{"url": "' + ARTICLE.encode() + b'", "body": "a\\u0000b"}'
    r = client.post(
        f"{API}/comments", content=raw, headers={**alice, "Content-Type": "application/json"}
    )
    assert r.status_code == 422 and r.json()["error"] == "invalid_characters"
    # A lone surrogate cannot be stored as UTF-8; the JSON parser refuses it.
    raw = b'{"url": "' + ARTICLE.encode() + b'", "body": "lone \\ud800"}'
    r = client.post(
        f"{API}/comments", content=raw, headers={**alice, "Content-Type": "application/json"}
    )
    assert r.status_code == 422 and r.json()["field"] == "body"
    assert rows(app) == (0, 0)


def test_length_limit_is_the_setting(
    client: TestClient, app: FastAPI, alice: dict[str, str]
) -> None:
    post(client, alice, "y" * 5000)
    r = post(client, alice, "y" * 5001, expect=422)
    assert r.json()["detail"] == "The comment is 5001 characters; the limit is 5000."
    # Windows line endings count once per line break.
    post(client, alice, "z\r\n" * 2499 + "z")


def test_parent_rules(
    client: TestClient, app: FastAPI, alice: dict[str, str], bob: dict[str, str]
) -> None:
    on_other = post(client, alice, url=OTHER_ARTICLE).json()
    top = post(client, alice).json()
    before = rows(app)
    r = post(client, bob, parent_id=on_other["id"], expect=422)
    assert (r.json()["error"], r.json()["field"]) == ("parent_other_story", "parent_id")
    # A new article cannot hold a reply to another one either; no story is made.
    r = post(client, bob, url=ARTICLE + "-new", parent_id=top["id"], expect=422)
    assert r.json()["error"] == "parent_other_story"
    assert rows(app) == before
    # A deleted comment that keeps its place (it has replies) takes no more replies.
    post(client, bob, parent_id=top["id"])
    assert client.delete(f"{API}/comments/{top['id']}", headers=alice).status_code == 204
    before = rows(app)
    r = post(client, bob, parent_id=top["id"], expect=422)
    assert r.json()["error"] == "parent_deleted"
    assert rows(app) == before


def test_reply_to_hidden_comment_is_refused(client: TestClient, app: FastAPI) -> None:
    add_site(app, "pre", ["https://pre.example"], moderation="pre")
    author, other = quick_reader(app), quick_reader(app)
    pending = post(client, author, url="https://pre.example/a", expect=202).json()
    r = post(client, other, url="https://pre.example/a", parent_id=pending["id"], expect=422)
    assert r.json()["error"] == "parent_not_found"


def test_closed_story_refuses_comments_and_replies(
    client: TestClient, app: FastAPI, alice: dict[str, str], bob: dict[str, str]
) -> None:
    top = post(client, alice).json()
    with state_of(app).write_sessions() as db:
        story = story_row(app)
        assert story is not None
        db.merge(story).is_closed = True
        db.commit()
    before = rows(app)
    for fields in ({}, {"parent_id": top["id"]}):
        r = post(client, bob, expect=403, **fields)
        assert r.json()["error"] == "story_closed"
    assert rows(app) == before


def test_outbox_event_written_with_the_comment_when_consumed(
    client: TestClient, app: FastAPI, alice: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import select

    from rostra.jobs import registry
    from rostra.models import OutboxEvent

    def events() -> list[tuple[str, Any]]:
        with state_of(app).read_sessions() as db:
            query = select(OutboxEvent).where(OutboxEvent.topic.like("comment.%"))
            return [(e.topic, e.payload) for e in db.scalars(query)]

    # comment.created is consumed (notifications, rostra.social.tasks), and
    # written only when it could notify somebody: not for a top-level
    # comment that mentions nobody, by an author nobody follows.
    c = post(client, alice).json()
    story = story_row(app)
    assert story is not None
    assert events() == []
    bob = quick_reader(app, "Bob")
    reply = post(client, bob, "A reply.", parent_id=c["id"]).json()
    facts = {"status": "published", "reply_to": c["author"]["id"], "mentions": False}
    payload = {"comment_id": reply["id"], "story_id": story.id}
    created = ("comment.created", {**payload, "author_id": reply["author"]["id"], **facts})
    assert events() == [created]
    # Nothing consumes comment.updated: no row is written, until something does.
    client.patch(f"{API}/comments/{c['id']}", json={"body": "Edited."}, headers=alice)
    assert events() == [created]
    monkeypatch.setitem(
        registry.HANDLERS, "comment.updated", registry.Registered(lambda e, ctx: None, False)
    )
    client.patch(f"{API}/comments/{c['id']}", json={"body": "Again."}, headers=alice)
    updated = ("comment.updated", {"comment_id": c["id"], "story_id": story.id})
    assert events() == [created, updated]


@pytest.mark.parametrize(
    "body", ["x", "😀", "漢", "e\u0301", "\u00a0.", "![](https://x.example/a.png)"]
)
def test_a_single_visible_character_is_enough(
    client: TestClient, alice: dict[str, str], body: str
) -> None:
    post(client, alice, body)


def test_line_breaks_and_bare_links_as_readers_expect(
    client: TestClient, alice: dict[str, str]
) -> None:
    c = post(client, alice, "Line one\r\nLine two https://example.org/x").json()
    expected = (
        '<p>Line one<br>\nLine two <a href="https://example.org/x" target="_blank" '
        'rel="nofollow ugc noopener">https://example.org/x</a></p>'
    )
    assert c["html"] == expected
    assert page(client)["comments"][0]["html"] == expected
    assert_inert(expected)


def test_hostile_markup_is_stored_inert(
    client: TestClient, app: FastAPI, alice: dict[str, str]
) -> None:
    body = (
        "<script>alert(1)</script> <img src=x onerror=alert(1)> "
        "[x](javascript:alert(1)) [y](jav&#x09;ascript:alert(1)) <svg onload=alert(1)>"
    )
    c = post(client, alice, body).json()
    shown = page(client)["comments"][0]["html"]
    for html in (c["html"], shown):
        assert "<script" not in html and "<img" not in html and "<svg" not in html
        assert "href" not in html  # neither link survives
        assert_inert(html)
    assert c["body"] == body  # the raw text is kept for its author
