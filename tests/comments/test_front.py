"""The lean front (``rostra.http.front``): warm anonymous first pages and
warm counts are answered before the middleware stack and routing, exactly
as the full stack answers them; everything else falls through to it.

Identity is checked by asking twice on the same warm cache: once with the
front taking the request, once with its handlers switched off
(``stack_only``), so the stack's layers and the route answer it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update
from starlette.datastructures import MutableHeaders
from starlette.middleware.gzip import GZipMiddleware

from rostra.errors import CatchUnexpected
from rostra.http.body import BodyGuard
from rostra.http.deps import state_of
from rostra.http.front import Front
from rostra.http.security import SecurityMiddleware
from rostra.models import Block, Comment
from tests.comments.conftest import API, post, quick_reader, user_id
from tests.factories import ARTICLE, OTHER_ARTICLE, add_site

ORIGIN = {"Origin": "https://news.example"}
REFUSED = {"Origin": "https://elsewhere.example"}
IDENTITY = {"Accept-Encoding": "identity"}
# The kinds of request the front must answer as the stack does: no Origin,
# a configured one, a refused one, gzip taken (the client's default), not
# taken, and an odd one (q=0: the page's own choice is identity, the
# compression layer's is gzip).
HEADERS = [
    {},
    ORIGIN,
    REFUSED,
    IDENTITY,
    IDENTITY | ORIGIN,
    {"Accept-Encoding": "gzip"},
    {"Accept-Encoding": "gzip;q=0"},
]


def front_of(app: FastAPI) -> Front:
    stack: Any = app.middleware_stack
    if stack is None:  # pragma: no cover - built on the first request
        raise AssertionError("no middleware stack yet")
    while not isinstance(stack, Front):
        stack = stack.app
    return stack


def _same(a: Any, b: Any) -> None:
    assert a.status_code == b.status_code
    assert a.headers.multi_items() == b.headers.multi_items()
    assert a.content == b.content


@contextmanager
def stack_only(app: FastAPI) -> Iterator[None]:
    """The front takes nothing meanwhile: the middleware stack and the route answer."""
    front = front_of(app)
    kept = front.routes, front.kept, front.signed_in, front.streams
    front.routes, front.kept, front.signed_in, front.streams = {}, {}, {}, {}
    try:
        yield
    finally:
        front.routes, front.kept, front.signed_in, front.streams = kept


def front_and_stack(
    client: TestClient, app: FastAPI, path: str, params: Any, headers: dict[str, str]
) -> Any:
    """The front's answer, checked to be the stack's, status, headers and bytes."""
    front = front_of(app)
    before = front.answered
    warm = client.get(path, params=params, headers=headers)
    assert front.answered == before + 1, warm.text
    with stack_only(app):
        stack = client.get(path, params=params, headers=headers)
    assert front.answered == before + 1
    _same(warm, stack)
    return warm


def test_the_front_is_outside_every_middleware(app: FastAPI, client: TestClient) -> None:
    client.get("/healthz")  # builds the stack
    stack: Any = app.middleware_stack
    above = []
    while not isinstance(stack, Front):
        above.append(type(stack))
        stack = stack.app
    # Only the framework's own error layers are outside it.
    assert not {GZipMiddleware, SecurityMiddleware, BodyGuard, CatchUnexpected} & set(above)
    below = []
    while hasattr(stack, "app"):
        stack = stack.app
        below.append(type(stack))
    assert {GZipMiddleware, SecurityMiddleware, BodyGuard, CatchUnexpected} <= set(below)
    assert front_of(app).security is not None


@pytest.mark.parametrize("headers", HEADERS)
def test_a_warm_first_page_and_its_304_are_the_stacks(
    client: TestClient, app: FastAPI, alice: dict[str, str], headers: dict[str, str]
) -> None:
    post(client, alice, "hello " * 100)
    params = {"url": ARTICLE, "limit": "5"}
    client.get(f"{API}/comments", params=params)  # warm
    warm = front_and_stack(client, app, f"{API}/comments", params, headers)
    allowed = headers.get("Origin") == ORIGIN["Origin"]
    assert warm.headers.get("access-control-allow-origin") == (
        ORIGIN["Origin"] if allowed else None
    )
    assert "Origin" in warm.headers["vary"] and warm.headers["x-content-type-options"] == "nosniff"
    gzipped = "gzip" in headers.get("Accept-Encoding", "gzip")
    assert (warm.headers.get("content-encoding") == "gzip") == gzipped
    r = front_and_stack(
        client, app, f"{API}/comments", params, {**headers, "If-None-Match": warm.headers["etag"]}
    )
    assert r.status_code == 304 and r.content == b""


@pytest.mark.parametrize("headers", HEADERS)
def test_warm_counts_long_and_short_are_the_stacks(
    client: TestClient, app: FastAPI, alice: dict[str, str], headers: dict[str, str]
) -> None:
    post(client, alice)
    short = [("url", ARTICLE), ("url", OTHER_ARTICLE)]
    # Long enough for the compression layer to compress it (not compressed ahead).
    long = short + [("url", f"https://news.example/world/2026/story-{i}") for i in range(12)]
    for params in (short, long):
        client.get(f"{API}/counts", params=params)  # learns the stories' ids
        client.get(f"{API}/counts", params=params)  # keeps the counts
        warm = front_and_stack(client, app, f"{API}/counts", params, headers)
        assert warm.json()["counts"][ARTICLE] == 1
        etag = {"If-None-Match": warm.headers["etag"]}
        assert (
            front_and_stack(client, app, f"{API}/counts", params, headers | etag).status_code == 304
        )
    assert warm.headers.get("content-encoding") == (
        "gzip" if "gzip" in headers.get("Accept-Encoding", "gzip") else None
    )


def test_a_handlers_error_is_left_to_the_stack(
    client: TestClient, app: FastAPI, alice: dict[str, str]
) -> None:
    post(client, alice)
    params = {"url": ARTICLE}
    expected = client.get(f"{API}/comments", params=params)
    front = front_of(app)

    def broken(*_: Any) -> None:
        raise RuntimeError("a broken cache")

    kept = front.routes
    front.routes = dict.fromkeys(kept, broken)
    try:
        before = front.answered
        r = client.get(f"{API}/comments", params=params)
    finally:
        front.routes = kept
    assert front.answered == before
    assert r.status_code == 200 and r.json() == expected.json()


@pytest.mark.parametrize(
    "raw",
    [
        [(b"content-type", b"application/json"), (b"vary", b"Accept-Encoding")],
        [(b"content-type", b"text/html; charset=utf-8")],
        [(b"content-type", b"text/html"), (b"vary", b"A"), (b"content-security-policy", b"x")],
        [(b"vary", b"A"), (b"vary", b"B")],
        [(b"content-length", b"2"), (b"referrer-policy", b"no-referrer"), (b"vary", b"A")],
        [(b"access-control-allow-origin", b"*"), (b"vary", b"A")],
        [],
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/counts", "/embed.js", "/account"])
@pytest.mark.parametrize("cors", [None, "https://news.example"])
def test_the_planned_headers_are_the_middlewares(
    app: FastAPI, client: TestClient, raw: list[tuple[bytes, bytes]], path: str, cors: str | None
) -> None:
    """The front's quick way with the headers gives what the middleware's
    ``decorate`` gives, whatever the answer already carries."""
    client.get("/healthz")
    policy = front_of(app).security
    assert policy is not None
    for _ in range(2):  # planning, then the plan
        slow = MutableHeaders(raw=list(raw))
        policy.decorate(slow, path, cors)
        assert policy.decorated(list(raw), path, cors) == slow.raw


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


@pytest.mark.parametrize(
    "headers", [{}, ORIGIN, REFUSED, IDENTITY, {"Accept-Encoding": "gzip;q=0"}]
)
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
    for who in (alice, carol):
        front_and_stack(
            client, app, f"{API}/comments", {"url": ARTICLE, "limit": "7"}, who | headers
        )


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


@pytest.mark.parametrize("headers", [{}, ORIGIN, REFUSED, IDENTITY])
def test_a_stream_opened_by_the_front_has_the_stacks_headers(
    app: FastAPI, headers: dict[str, str]
) -> None:
    from tests.comments.test_events import server, stream

    add_site(app)
    with server(app) as base:
        with stream(base, **headers) as fronted:
            assert fronted.status == 200 and fronted.next()[1] == "ready"
        with stack_only(app), stream(base, **headers) as stacked:
            assert stacked.status == 200 and stacked.next()[1] == "ready"
    fronted.headers.pop("date", None)
    stacked.headers.pop("date", None)
    assert fronted.headers == stacked.headers
    assert fronted.headers["x-content-type-options"] == "nosniff"
    # Not one of the cross-origin reads: no origin is echoed, configured or not.
    assert "access-control-allow-origin" not in fronted.headers
    assert "Origin" in fronted.headers["vary"]
