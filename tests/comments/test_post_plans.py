"""Posting stays flat as a story grows: on PostgreSQL every statement that
posting a comment or a reply sends has an index to use (EXPLAIN with
sequential scans discouraged shows none over a table that grows). Only the
sites, a handful of rows read whole on purpose, may be scanned."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event

from rostra.http.deps import state_of
from tests.comments.conftest import API, post, quick_reader
from tests.factories import ARTICLE

SCANNED_ON_PURPOSE = ("sites",)
SKIP = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "SELECT 1", "SELECT pg_")


@pytest.fixture
def statements(app: FastAPI) -> Iterator[list[tuple[str, Any]]]:
    engine = state_of(app).engine
    if engine.dialect.name != "postgresql":
        pytest.skip("the query plans are PostgreSQL's")
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(SKIP):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def test_every_statement_of_posting_uses_an_index(
    app: FastAPI, client: TestClient, alice: dict[str, str], statements: list[tuple[str, Any]]
) -> None:
    bob = quick_reader(app, "Bob")
    first = post(client, alice, "first, which makes the story").json()["id"]
    statements.clear()
    top = post(client, alice, "a second top-level comment", title="T")
    reply = post(client, bob, "a reply", parent_id=first)
    keyed = client.post(
        f"{API}/comments",
        json={"url": ARTICLE, "body": "keyed"},
        headers={**bob, "Idempotency-Key": "plan-1"},
    )
    assert (top.status_code, reply.status_code, keyed.status_code) == (201, 201, 201)
    sent = list(statements)
    assert any(s.lstrip().startswith("INSERT INTO comments") for s, _ in sent)
    engine = state_of(app).engine
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        cursor = raw.cursor()
        cursor.execute("SET enable_seqscan = off")
        for statement, parameters in sent:
            cursor.execute("EXPLAIN " + statement, parameters)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            scans = [
                line
                for line in plan.splitlines()
                if "Seq Scan on" in line
                and not any(f"Seq Scan on {t}" in line for t in SCANNED_ON_PURPOSE)
            ]
            assert not scans, f"{statement}\n{plan}"
        conn.rollback()
