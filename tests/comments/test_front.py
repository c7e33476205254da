"""The lean front (``rostra.http.front``): warm anonymous first pages and
warm counts are answered before routing, exactly as the full stack answers
them; everything else falls through to it."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rostra.http.front import Front
from tests.comments.conftest import API, post
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
        ({"url": ARTICLE}, alice, 200),  # signed in
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
