"""How many statements posting sends: a bound that fails when a change adds
a query to every post (the count is behaviour, not a timing). The
transaction's own statements (BEGIN, SAVEPOINT, RELEASE) are not counted:
group commit shares them between posts on SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event

from rostra.http.deps import state_of
from tests.comments.conftest import post, quick_reader

SKIP = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "SELECT 1")
#: Sign-in, site, staff badge (reading); story row, ban, insert, own thread,
#: count, whether anyone follows the author, live channel and event (writing).
TOP_LEVEL = 11
#: The parent, its reply count and the comment.created job (a reply notifies
#: the parent's author) instead of the follower check.
REPLY = TOP_LEVEL + 2


@pytest.fixture
def statements(app: FastAPI) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(SKIP):
            seen.append(statement)

    engine = state_of(app).engine
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def test_a_post_sends_a_bounded_number_of_statements(
    app: FastAPI, client: TestClient, alice: dict[str, str], statements: list[str]
) -> None:
    bob = quick_reader(app, "Bob")
    first = post(client, alice, "first, which makes the story").json()
    statements.clear()
    post(client, alice, "a second top-level comment")
    top = list(statements)
    statements.clear()
    post(client, bob, "a reply", parent_id=first["id"])
    reply = list(statements)
    assert len(top) <= TOP_LEVEL, "\n".join(top)
    assert len(reply) <= REPLY, "\n".join(reply)
    # The plain post wrote no job (nobody to notify); the reply did.
    assert not any(s.lstrip().startswith("INSERT INTO outbox") for s in top)
    assert any(s.lstrip().startswith("INSERT INTO outbox") for s in reply)
