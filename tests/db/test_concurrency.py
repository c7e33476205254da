"""Concurrent writers through a real server: no "database is locked", no lost counts.

SQLite in WAL mode fails a deferred transaction that must upgrade to a write
lock while another writer holds it; Rostra starts write requests with BEGIN
IMMEDIATE so they queue instead. These tests would fail with 500s otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rostra.http.deps import state_of
from tests.factories import ARTICLE, add_site, reader
from tests.livesrv import live_server

WRITERS = 8
POSTS = 40


def test_concurrent_posts_all_land(app: FastAPI, client: TestClient) -> None:
    add_site(app)
    headers = [reader(client) for _ in range(WRITERS)]
    with live_server(app) as base:

        def post(i: int) -> int:
            r = httpx.post(
                f"{base}/api/v1/comments",
                headers=headers[i % WRITERS],
                timeout=30,
                json={"url": ARTICLE, "title": "T", "body": f"comment {i}"},
            )
            return r.status_code

        with ThreadPoolExecutor(WRITERS) as pool:
            statuses = list(pool.map(post, range(POSTS)))
        assert statuses == [201] * POSTS
        thread = httpx.get(f"{base}/api/v1/comments", params={"url": ARTICLE, "limit": 100}).json()
    assert thread["story"]["comment_count"] == POSTS
    assert len(thread["comments"]) == POSTS


def test_concurrent_likes_are_all_counted(app: FastAPI, client: TestClient) -> None:
    add_site(app)
    author = reader(client)
    comment = client.post(
        "/api/v1/comments", headers=author, json={"url": ARTICLE, "body": "like me"}
    ).json()
    fans = [reader(client) for _ in range(WRITERS * 2)]
    with live_server(app) as base:
        url = f"{base}/api/v1/comments/{comment['id']}/reactions/like"

        def like(h: dict[str, str]) -> int:
            # Each reader likes twice: the second must not count again.
            first = httpx.put(url, headers=h, timeout=30).status_code
            second = httpx.put(url, headers=h, timeout=30).status_code
            return first + second

        with ThreadPoolExecutor(WRITERS) as pool:
            assert set(pool.map(like, fans)) == {400}
        top = httpx.get(f"{base}/api/v1/comments", params={"url": ARTICLE}).json()
    assert top["comments"][0]["like_count"] == len(fans)


def test_every_write_gives_its_turn_back(app: FastAPI, client: TestClient) -> None:
    """Commits, refusals (rolled back), replays and deletes all end the writer's
    turn; a turn kept would make the next writer wait."""
    from rostra.db.engine import writer_gate

    gate = writer_gate(state_of(app).engine)
    if gate is None:
        pytest.skip("PostgreSQL has no writer gate")
    add_site(app)
    author = reader(client)
    key = {**author, "Idempotency-Key": "k1"}
    calls: list[Callable[[], object]] = [
        lambda: client.post("/api/v1/comments", headers=key, json={"url": ARTICLE, "body": "a"}),
        lambda: client.post("/api/v1/comments", headers=key, json={"url": ARTICLE, "body": "a"}),
        lambda: client.post("/api/v1/comments", headers=author, json={"url": ARTICLE, "body": ""}),
        lambda: client.post(
            "/api/v1/comments", headers=author, json={"url": ARTICLE, "parent_id": 999, "body": "x"}
        ),
        lambda: client.post(
            "/api/v1/auth/login", json={"email": "no@example.org", "password": "wrong password"}
        ),
        lambda: client.delete("/api/v1/comments/1", headers=author),
    ]
    for call in calls:
        call()
        assert not gate.busy
