"""Every read query of the hot paths is served by an index on PostgreSQL:
the thread page, a thread's further replies, the counts and a reader's own
state (the overlay), and the sign-in behind it.

The statements are the ones the app really sends (caught on the engine
while the reads run cold), each explained with the planner told to avoid
sequential scans where it can: a plan that still scans a table has no index
to use for it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event

from rostra.http.deps import state_of
from tests.comments.conftest import API, post
from tests.factories import ARTICLE

TABLES = ("comments", "reactions", "stories", "users", "auth_sessions")


@contextmanager
def caught(app: FastAPI) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []
    engine = state_of(app).engine

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def plans(app: FastAPI, statements: list[tuple[str, Any]]) -> list[tuple[str, str]]:
    engine = state_of(app).engine
    out = []
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("SET enable_seqscan = off")
        for statement, parameters in statements:
            cursor.execute("EXPLAIN " + statement, parameters)
            out.append((statement, "\n".join(row[0] for row in cursor.fetchall())))
        raw.rollback()
    finally:
        raw.close()
    return out


def assert_indexed(app: FastAPI, statements: list[tuple[str, Any]]) -> None:
    assert statements, "no query was caught"
    for statement, plan in plans(app, statements):
        for table in TABLES:
            assert f"Seq Scan on {table}" not in plan, f"{statement}\n{plan}"
        assert "Index" in plan, f"{statement}\n{plan}"


@pytest.fixture
def pg(app: FastAPI) -> FastAPI:
    if state_of(app).engine.dialect.name != "postgresql":
        pytest.skip("query plans are checked on PostgreSQL")
    return app


def _thread(client: TestClient, alice: dict[str, str], bob: dict[str, str]) -> list[int]:
    tops = [post(client, alice, f"top {i}").json()["id"] for i in range(3)]
    for top in tops:
        reply = post(client, bob, "reply", parent_id=top).json()["id"]
        post(client, alice, "deeper", parent_id=reply)
        client.put(f"{API}/comments/{top}/reactions/like", headers=bob)
    return tops


def test_the_thread_page_uses_indexes(
    pg: FastAPI, client: TestClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    _thread(client, alice, bob)
    for sort in ("newest", "oldest", "top"):
        with caught(pg) as seen:
            r = client.get(f"{API}/comments", params={"url": ARTICLE, "sort": sort, "limit": 2})
            assert r.status_code == 200
        assert_indexed(pg, seen)
        cursor = r.json()["next_cursor"]
        with caught(pg) as seen:
            r = client.get(
                f"{API}/comments",
                params={"url": ARTICLE, "sort": sort, "limit": 2, "cursor": cursor},
            )
            assert r.status_code == 200
        assert_indexed(pg, seen)


def test_the_replies_page_uses_indexes(
    pg: FastAPI, client: TestClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    tops = _thread(client, alice, bob)
    with caught(pg) as seen:
        r = client.get(f"{API}/comments/{tops[0]}/replies", params={"limit": 1})
        assert r.status_code == 200
        cursor = r.json()["next_cursor"]
        r = client.get(f"{API}/comments/{tops[0]}/replies", params={"limit": 1, "cursor": cursor})
        assert r.status_code == 200
    assert_indexed(pg, seen)


def test_counts_use_indexes(pg: FastAPI, client: TestClient, alice: dict[str, str]) -> None:
    post(client, alice)
    with caught(pg) as seen:
        r = client.get(
            f"{API}/counts", params=[("url", ARTICLE), ("url", "https://news.example/none")]
        )
        assert r.status_code == 200
    # The sites' origins (a handful of rows, read for a URL without a story) aside.
    assert_indexed(pg, [(s, p) for s, p in seen if "FROM sites" not in s])


def test_the_overlay_and_the_sign_in_use_indexes(
    pg: FastAPI, client: TestClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    _thread(client, alice, bob)
    with caught(pg) as seen:
        r = client.get(f"{API}/comments", params={"url": ARTICLE}, headers=bob)
        assert r.status_code == 200 and r.json()["viewer"]["liked"]
    overlay = [(s, p) for s, p in seen if "reactions" in s]
    assert len(overlay) == 1
    assert_indexed(pg, seen)
    # Their own comments by author and story, whatever the story's size.
    [(_, plan)] = plans(pg, overlay)
    assert "ix_comments_author_story" in plan, plan
