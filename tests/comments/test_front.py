"""The lean front (``rostra.http.front``): warm anonymous first pages and
warm counts are answered before routing, exactly as the full stack answers
them; everything else falls through to it."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from rostra.http.deps import state_of
from rostra.http.front import Front
from rostra.models import Block, Comment
from tests.comments.conftest import API, post, quick_reader, user_id
from tests.factories import ARTICLE, OTHER_ARTICLE

ORIGIN = {"Origin": "https://news.example"}


def front_of(app: FastAPI) -> Front:
    stack: Any = app.middleware_stack
    if stack is None:  # pragma: no cover - built on the first request
        raise AssertionError("no middleware stack yet")
    while not isinstance(stack, Front):
        stack = stack.app
    return stack


def _same(a: Any, b: Any) -> None:
    assert a.status_code == b.status_code
    assert dict(a.headers) == dict(b.headers)
    assert a.content == b.content


@pytest.mark.parametrize(
    "headers", [{}, ORIGIN, {"Accept-Encoding": "identity"}, {"Accept-Encoding": "gzip"}]
)
def test_a_warm_first_page_is_answered_by_the_front_as_the_stack_would(
    client: TestClient, app: FastAPI, alice: dict[str, str], headers: dict[str, str]
) -> None:
    post(client, alice, "hello " * 100)
    params = {"url": ARTICLE, "limit": "5"}
    stack = client.get(f"{API}/comments", params=params, headers=headers)  # builds it
    front = front_of(app)
    before = front.answered
    warm = client.get(f"{API}/comments", params=params, headers=headers)
    assert front.answered == before + 1
    _same(warm, stack)
    # 304 from the front too.
    etag = warm.headers["etag"]
    r = client.get(f"{API}/comments", params=params, headers={**headers, "If-None-Match": etag})
    assert r.status_code == 304 and front.answered == before + 2


def test_warm_counts_are_answered_by_the_front_as_the_stack_would(
    client: TestClient, app: FastAPI, alice: dict[str, str]
) -> None:
    post(client, alice)
    params = [("url", ARTICLE), ("url", OTHER_ARTICLE), ("url", "not a url"), ("url", ARTICLE)]
    client.get(f"{API}/counts", params=params)  # learns the stories' ids
    stack = client.get(f"{API}/counts", params=params, headers=ORIGIN)  # keeps the counts
    front = front_of(app)
    before = front.answered
    warm = client.get(f"{API}/counts", params=params, headers=ORIGIN)
    assert front.answered == before + 1
    _same(warm, stack)
    post(client, alice)  # and a write is seen through the front at once
    assert client.get(f"{API}/counts", params=params).json()["counts"][ARTICLE] == 2


def test_what_the_front_does_not_take_falls_through(
    client: TestClient, app: FastAPI, alice: dict[str, str]
) -> None:
    post(client, alice)
    client.get(f"{API}/comments", params={"url": ARTICLE})
    front = front_of(app)
    before = front.answered
    cases: list[tuple[dict[str, str], dict[str, str], int]] = [
        ({"url": ARTICLE, "limit": "5"}, alice, 200),  # signed in, not warm
        ({"url": ARTICLE}, {"Authorization": "Basic YTpi"}, 200),  # not a bearer token
        ({"url": ARTICLE, "limit": "0"}, {}, 422),
        ({"url": ARTICLE, "limit": "07"}, {}, 200),  # the stack reads it
        ({"url": ARTICLE, "sort": "best"}, {}, 422),
        ({"url": ARTICLE, "cursor": "nope"}, {}, 422),
        ({"url": "https://news.example/not-yet"}, {}, 200),  # no story, not cached
        ({"url": "x" * 5000}, {}, 422),
    ]
    for params, headers, status in cases:
        r = client.get(f"{API}/comments", params=params, headers=headers)
        assert r.status_code == status, (params, r.text)
    assert client.get(f"{API}/counts").status_code == 422
    assert client.get(f"{API}/counts", params={"url": "https://x.example/"}).status_code == 200
    assert front.answered == before


@pytest.mark.parametrize("headers", [{}, ORIGIN, {"Accept-Encoding": "gzip"}])
def test_a_signed_in_warm_first_page_is_answered_by_the_front_as_the_stack_would(
    client: TestClient,
    app: FastAPI,
    alice: dict[str, str],
    bob: dict[str, str],
    headers: dict[str, str],
) -> None:
    """Alice's own published, held and rejected comments, a like, a blocked
    reader, Bob's comments, a deleted one: the front's answer is the stack's,
    byte for byte and header for header."""
    tops = [post(client, bob, f"top {i} " * 40).json()["id"] for i in range(3)]
    post(client, alice, "mine", parent_id=tops[0])
    held = post(client, alice, "my held words", parent_id=tops[1]).json()["id"]
    rejected = post(client, alice, "my rejected words", parent_id=tops[2]).json()["id"]
    gone = post(client, bob, "deleted").json()["id"]
    assert client.delete(f"{API}/comments/{gone}", headers=bob).status_code == 204
    client.put(f"{API}/comments/{tops[1]}/reactions/like", headers=alice)
    with state_of(app).write_sessions() as db:
        db.execute(update(Comment).where(Comment.id == held).values(status="pending"))
        db.execute(
            update(Comment)
            .where(Comment.id == rejected)
            .values(status="rejected", moderation_reason="Off topic.")
        )
        db.add(Block(blocker_id=user_id(client, alice), blocked_id=user_id(client, bob)))
        db.commit()
    post(client, bob, "after the changes")  # moves the story's generation on
    front = front_of(app)
    # "07" is read by the stack only; "7" is the same page for the front.
    stack = client.get(
        f"{API}/comments", params={"url": ARTICLE, "limit": "07"}, headers=alice | headers
    )
    before = front.answered
    warm = client.get(
        f"{API}/comments", params={"url": ARTICLE, "limit": "7"}, headers=alice | headers
    )
    assert front.answered == before + 1
    _same(warm, stack)
    viewer = warm.json()["viewer"]
    assert [h["id"] for h in viewer["held"]] == [held, rejected]
    assert viewer["liked"] == [tops[1]] and viewer["blocked"] == [user_id(client, bob)]
    assert warm.headers["cache-control"] == stack.headers["cache-control"]
    # Another reader gets the same page with an overlay of their own.
    carol = quick_reader(app, "Carol")
    theirs = client.get(f"{API}/comments", params={"url": ARTICLE, "limit": "7"}, headers=carol)
    assert front.answered == before + 2
    assert theirs.json()["viewer"]["held"] == theirs.json()["viewer"]["liked"] == []
    assert b"my held words" not in theirs.content
    assert b"my rejected words" not in theirs.content


def test_the_front_sees_a_readers_change_at_once(
    client: TestClient, app: FastAPI, alice: dict[str, str], bob: dict[str, str]
) -> None:
    top = post(client, bob, "top").json()["id"]
    params = {"url": ARTICLE}
    client.get(f"{API}/comments", params=params)  # warm
    assert (
        client.get(f"{API}/comments", params=params, headers=alice).json()["viewer"]["liked"] == []
    )
    client.put(f"{API}/comments/{top}/reactions/like", headers=alice)
    client.get(f"{API}/comments", params=params)  # warm again
    front = front_of(app)
    before = front.answered
    assert client.get(f"{API}/comments", params=params, headers=alice).json()["viewer"][
        "liked"
    ] == [top]
    assert front.answered == before + 1


def test_a_token_that_finds_nobody_falls_through_to_the_stack(
    client: TestClient, app: FastAPI, alice: dict[str, str]
) -> None:
    post(client, alice)
    params = {"url": ARTICLE}
    client.get(f"{API}/comments", params=params)  # warm
    assert client.get(f"{API}/comments", params=params, headers=alice).json()["viewer"]
    assert client.post(f"{API}/auth/logout", headers=alice).status_code == 204
    front = front_of(app)
    before = front.answered
    for headers in (alice, {"Authorization": "Bearer nobody"}, {"Authorization": "Bearer "}):
        r = client.get(f"{API}/comments", params=params, headers=headers)
        # A stale token on a public read is ignored by the stack: the page, no viewer.
        assert r.status_code == 200 and r.json()["viewer"] is None
    assert front.answered == before
