"""The job runner: writing handlers run together in one transaction, each
in a SAVEPOINT of its own; the others are leased, each marked done once run."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from rostra.app import job_context
from rostra.db.base import utcnow
from rostra.http.deps import state_of
from rostra.jobs import outbox, registry
from rostra.jobs.registry import JobContext, job_session
from rostra.jobs.runner import WRITING_BATCH, run_once
from rostra.models import OutboxEvent

WRITES, EFFECT, TOLD = "test.writes", "test.effect", "test.told"
HOUR = timedelta(hours=1)


@pytest.fixture
def topics(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Three test topics: one whose handler writes (a ``test.told`` row per
    event, then raises if told to), one that only causes an effect, and
    the rows the first writes (never run here)."""
    seen: list[str] = []

    def writes(row: OutboxEvent, ctx: JobContext) -> None:
        db = job_session(row)
        outbox.enqueue(db, TOLD, {"n": row.payload["n"]}, available_at=utcnow() + HOUR)
        db.flush()
        if row.payload.get("fail"):
            raise RuntimeError(f"refused {row.payload['n']}")

    def effect(row: OutboxEvent, ctx: JobContext) -> None:
        seen.append(str(row.payload["n"]))
        if row.payload.get("fail"):
            raise RuntimeError("no")

    monkeypatch.setitem(registry.HANDLERS, WRITES, registry.Registered(writes, True))
    monkeypatch.setitem(registry.HANDLERS, EFFECT, registry.Registered(effect, False))
    # The writing handler's rows wait an hour, so a pass leaves them be.
    monkeypatch.setitem(registry.HANDLERS, TOLD, registry.Registered(effect, False))
    yield seen


def _enqueue(app: FastAPI, topic: str, payloads: list[dict[str, Any]]) -> None:
    with state_of(app).write_sessions() as db:
        for payload in payloads:
            outbox.enqueue(db, topic, payload)
        db.commit()


def _rows(db: Session, topic: str) -> list[OutboxEvent]:
    query = select(OutboxEvent).where(OutboxEvent.topic == topic).order_by(OutboxEvent.id)
    return list(db.scalars(query))


def _commits(app: FastAPI) -> list[int]:
    count = [0]

    def counted(db: Session) -> None:
        if not db.in_nested_transaction():  # a released SAVEPOINT is not a commit
            count[0] += 1

    event.listen(state_of(app).write_sessions, "after_commit", counted)
    return count


def test_writing_handlers_run_in_one_transaction(app: FastAPI, topics: list[str]) -> None:
    _enqueue(app, WRITES, [{"n": n} for n in range(12)])
    commits = _commits(app)
    state = state_of(app)
    assert run_once(state.write_sessions, job_context(state)) == 12
    assert commits[0] == 1  # not one per event
    with state.write_sessions() as db:
        assert all(r.done_at is not None and r.attempts == 1 for r in _rows(db, WRITES))
        assert [r.payload["n"] for r in _rows(db, TOLD)] == list(range(12))


def test_a_failing_writing_handler_is_undone_alone(app: FastAPI, topics: list[str]) -> None:
    _enqueue(app, WRITES, [{"n": 0}, {"n": 1, "fail": True}, {"n": 2}])
    state = state_of(app)
    assert run_once(state.write_sessions, job_context(state)) == 3
    with state.write_sessions() as db:
        rows = _rows(db, WRITES)
        assert [r.done_at is not None for r in rows] == [True, False, True]
        failed = rows[1]
        assert failed.attempts == 1 and failed.last_error == "RuntimeError: refused 1"
        assert failed.locked_until is None and failed.available_at > rows[0].created_at
        # Its writes are undone; the others' are kept.
        assert [r.payload["n"] for r in _rows(db, TOLD)] == [0, 2]


def test_a_batch_is_bounded(app: FastAPI, topics: list[str]) -> None:
    _enqueue(app, WRITES, [{"n": n} for n in range(WRITING_BATCH + 3)])
    state = state_of(app)
    ctx = job_context(state)
    assert run_once(state.write_sessions, ctx) == WRITING_BATCH
    assert run_once(state.write_sessions, ctx) == 3
    assert run_once(state.write_sessions, ctx) == 0


def test_other_handlers_are_leased_and_marked_done_one_by_one(
    app: FastAPI, topics: list[str]
) -> None:
    _enqueue(app, EFFECT, [{"n": 0}, {"n": 1, "fail": True}, {"n": 2}])
    _enqueue(app, WRITES, [{"n": 9}])
    commits = _commits(app)
    state = state_of(app)
    assert run_once(state.write_sessions, job_context(state)) == 4
    # The writing rows and the claim, then each effect's outcome.
    assert commits[0] == 4
    assert topics == ["0", "1", "2"]
    with state.write_sessions() as db:
        rows = _rows(db, EFFECT)
        assert [r.done_at is not None for r in rows] == [True, False, True]
        assert rows[1].last_error == "RuntimeError: no" and rows[1].locked_until is None
        assert all(r.attempts == 1 for r in rows)
        assert _rows(db, WRITES)[0].done_at is not None


def test_a_leased_row_is_not_taken(app: FastAPI, topics: list[str]) -> None:
    """A row another runner holds (its lease not run out) waits for it."""
    _enqueue(app, WRITES, [{"n": 0}])
    state = state_of(app)
    with state.write_sessions() as db:
        assert len(outbox.claim(db, 5)) == 1  # as an older runner would
        db.commit()
    assert run_once(state.write_sessions, job_context(state)) == 0
    with state.write_sessions() as db:
        assert _rows(db, WRITES)[0].done_at is None
