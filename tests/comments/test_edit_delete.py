"""PATCH and DELETE /comments/{id}: ownership, the edit window, placeholders."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rostra.config import Settings
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
from tests.factories import add_site


def edit(client: TestClient, headers: dict[str, str], cid: int, body: Any) -> Any:
    return client.patch(f"{API}/comments/{cid}", json={"body": body}, headers=headers)


def remove(client: TestClient, headers: dict[str, str], cid: int) -> int:
    status: int = client.delete(f"{API}/comments/{cid}", headers=headers).status_code
    return status


def count(app: FastAPI) -> int:
    story = story_row(app)
    assert story is not None
    return story.comment_count


def test_edit_own_comment(client: TestClient, app: FastAPI, alice: dict[str, str]) -> None:
    cid = post(client, alice, "first").json()["id"]
    r = edit(client, alice, cid, "second <b>x</b> [l](https://a.example)")
    assert r.status_code == 200, r.text
    c = r.json()
    assert c["body"] == "second <b>x</b> [l](https://a.example)" and c["edited_at"]
    assert c["html"].startswith('<p>second &lt;b&gt;x&lt;/b&gt; <a href="https://a.example"')
    shown = page(client)["comments"][0]
    assert shown["html"] == c["html"] and shown["edited_at"] == c["edited_at"]


def test_edit_refusals(
    client: TestClient, app: FastAPI, alice: dict[str, str], bob: dict[str, str]
) -> None:
    cid = post(client, alice, "original").json()["id"]
    cases: list[tuple[dict[str, str], int, Any, int, str]] = [
        (bob, cid, "mine now", 403, "forbidden"),
        (alice, 999_999, "x", 404, "not_found"),
        (alice, 2**40, "x", 404, "not_found"),
        (alice, cid, "", 422, "body_empty"),
        (alice, cid, " \n ", 422, "body_empty"),
        (alice, cid, "&nbsp;", 422, "body_empty"),
        (alice, cid, "\u3164", 422, "body_empty"),
        (alice, cid, "[](https://x.example)", 422, "body_empty"),
        (alice, cid, "![]()", 422, "body_empty"),
        (alice, cid, ">" * 3000, 422, "body_empty"),
        (alice, cid, "x" * 5001, 422, "body_too_long"),
        (alice, cid, "nul\x00", 422, "invalid_characters"),
        (alice, cid, 5, 422, "validation_error"),
        (alice, cid, None, 422, "validation_error"),
    ]
    for headers, target, body, status, code in cases:
        r = edit(client, headers, target, body)
        assert (r.status_code, r.json()["error"]) == (status, code), (body, r.text)
    r = client.patch(f"{API}/comments/{cid}", json={"body": "x", "url": "y"}, headers=alice)
    assert (r.status_code, r.json()["field"]) == (422, "url")
    assert client.patch(f"{API}/comments/{cid}", json={"body": "x"}).status_code == 401
    row = comment_row(app, cid)
    assert row is not None and row.body == "original" and row.edited_at is None


class TestClosedWindow:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(update={"edit_window_seconds": 0})

    def test_edit_after_window(
        self, client: TestClient, app: FastAPI, alice: dict[str, str]
    ) -> None:
        c = post(client, alice, "original").json()
        assert c["editable_until"] is None
        r = edit(client, alice, c["id"], "too late")
        assert (r.status_code, r.json()["error"]) == (403, "edit_window_closed")
        row = comment_row(app, c["id"])
        assert row is not None and row.body == "original"
        # Deleting is not bound to the window.
        assert remove(client, alice, c["id"]) == 204


def test_delete_leaf(client: TestClient, app: FastAPI, alice: dict[str, str]) -> None:
    cid = post(client, alice).json()["id"]
    assert remove(client, alice, cid) == 204
    assert rows(app) == (0, 1) and count(app) == 0
    assert remove(client, alice, cid) == 404
    assert page(client)["comments"] == []


def test_delete_refusals(client: TestClient, alice: dict[str, str], bob: dict[str, str]) -> None:
    cid = post(client, alice).json()["id"]
    r = client.delete(f"{API}/comments/{cid}", headers=bob)
    assert (r.status_code, r.json()["error"]) == (403, "forbidden")
    assert client.delete(f"{API}/comments/{cid}").status_code == 401
    assert remove(client, alice, 424242) == 404


def test_delete_with_replies_leaves_a_placeholder(
    client: TestClient, app: FastAPI, alice: dict[str, str], bob: dict[str, str]
) -> None:
    top = post(client, alice, "secret opinion").json()["id"]
    reply = post(client, bob, "answer", parent_id=top).json()["id"]
    assert remove(client, alice, top) == 204
    shown = page(client, headers=alice)["comments"][0]
    assert shown["status"] == "deleted" and shown["html"] == "" and shown["author"] is None
    assert shown["body"] is None and not shown["is_mine"]
    assert [r["id"] for r in shown["replies"]] == [reply]
    row = comment_row(app, top)
    assert row is not None and row.body == "" and row.author_id is not None
    assert count(app) == 1 and rows(app) == (2, 1)
    assert remove(client, alice, top) == 404  # already deleted
    assert edit(client, alice, top, "back").status_code == 404
    # The last reply going takes the placeholder with it.
    assert remove(client, bob, reply) == 204
    assert rows(app) == (0, 1) and count(app) == 0
    assert page(client)["comments"] == []


def test_placeholders_pruned_up_the_chain(
    client: TestClient, app: FastAPI, alice: dict[str, str], bob: dict[str, str]
) -> None:
    a = post(client, alice, "a").json()["id"]
    b = post(client, alice, "b", parent_id=a).json()["id"]
    c = post(client, bob, "c", parent_id=b).json()["id"]
    sibling = post(client, bob, "sibling", parent_id=a).json()["id"]
    assert remove(client, alice, a) == 204
    assert remove(client, alice, b) == 204  # b has c under it: a placeholder too
    assert rows(app)[0] == 4
    # a's only live reply count is the sibling; b is a placeholder with c.
    a_row = comment_row(app, a)
    assert a_row is not None and a_row.reply_count == 1
    assert remove(client, bob, c) == 204  # b goes; a stays for the sibling
    assert comment_row(app, b) is None and comment_row(app, a) is not None
    assert remove(client, bob, sibling) == 204  # now a goes too
    assert rows(app) == (0, 1) and count(app) == 0


def test_deleting_a_parent_never_takes_live_replies(
    client: TestClient, app: FastAPI, alice: dict[str, str], bob: dict[str, str]
) -> None:
    a = post(client, alice, "a").json()["id"]
    b = post(client, alice, "b", parent_id=a).json()["id"]
    c = post(client, bob, "c", parent_id=b).json()["id"]
    assert remove(client, alice, b) == 204  # placeholder: a has no live direct reply now
    assert remove(client, alice, a) == 204  # but a still holds b, which holds c
    assert comment_row(app, c) is not None
    data = page(client)["comments"][0]
    assert data["status"] == "deleted" and data["replies"][0]["status"] == "deleted"
    assert data["replies"][0]["replies"][0]["id"] == c
    assert count(app) == 1


def test_counts_follow_pending_and_published(client: TestClient, app: FastAPI) -> None:
    add_site(app, "pre", ["https://pre.example"], moderation="pre")
    author = quick_reader(app)
    url = "https://pre.example/a"
    cid = post(client, author, url=url, expect=202).json()["id"]
    assert remove(client, author, cid) == 204
    story = story_row(app, url)
    assert story is not None and story.comment_count == 0


def test_suspended_author_cannot_edit(client: TestClient, app: FastAPI, site: Site) -> None:
    author = quick_reader(app)
    cid = post(client, author).json()["id"]
    set_user(app, user_id(client, author), is_suspended=True)
    r = edit(client, author, cid, "changed")
    assert (r.status_code, r.json()["error"]) == (403, "account_suspended")
