"""A PostgreSQL restart costs only the requests in flight: every connection
the app's pool holds is killed by the server (as a restart does), and the
next reads, sign-ins and posts are answered as if nothing had happened."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.pool import QueuePool

from rostra.db.engine import normalise_url
from rostra.http.deps import state_of
from tests.comments.conftest import API, page, post
from tests.factories import ARTICLE


def _kill_every_connection_of(database_url: str) -> int:
    """What a restart does to the app's pool: the server ends each session."""
    admin = create_engine(normalise_url(database_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            killed = conn.execute(
                text(
                    "SELECT count(*) FROM ("
                    " SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    ") AS ended"
                )
            ).scalar_one()
    finally:
        admin.dispose()
    return int(killed)


def test_reads_and_posts_go_on_after_the_database_drops_every_connection(
    app: FastAPI, client: TestClient, alice: dict[str, str], database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("a PostgreSQL server's restart")
    first = post(client, alice, "Before the restart.").json()["id"]
    assert page(client)["comments"][0]["id"] == first
    pool = state_of(app).engine.pool
    assert isinstance(pool, QueuePool)
    kept = pool.checkedin()
    assert kept > 0  # the pool keeps connections that are about to die

    assert _kill_every_connection_of(database_url) >= kept

    # Each of these first takes a dead connection from the pool.
    me = client.get(f"{API}/me", headers=alice)
    assert me.status_code == 200, me.text
    second = post(client, alice, "After the restart.").json()["id"]
    fresh = page(client, url=ARTICLE, limit=7)  # not the cached page: a query
    assert [c["id"] for c in fresh["comments"]] == [second, first]
    replies = client.get(f"{API}/comments/{first}/replies")
    assert replies.status_code == 200, replies.text
