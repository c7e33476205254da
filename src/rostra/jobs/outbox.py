"""Writing, claiming, finishing and deleting outbox rows: every outbox query.

``enqueue`` and ``emit`` are called inside the request's transaction; the
commit then wakes the runner (the ``outbox`` change, see ``rostra.app``). ``claim`` takes a
batch atomically: on PostgreSQL with ``FOR UPDATE SKIP LOCKED`` so many
workers share the queue; on SQLite, writes are serialised by the database,
so a conditional UPDATE of ``locked_until`` is enough.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, exists, func, insert, or_, select, update
from sqlalchemy.orm import Session

from rostra.db.base import rowcount, utcnow
from rostra.db.session import changed
from rostra.jobs.registry import handler_for
from rostra.models import OutboxEvent

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8


def enqueue(
    db: Session, topic: str, payload: dict[str, Any], available_at: datetime | None = None
) -> OutboxEvent:
    """Add a job, to run at once or not before ``available_at``.

    A job must have its handler registered (LookupError otherwise): a mail
    that nothing would ever send is a bug to find in the tests.
    """
    if handler_for(topic) is None:
        raise LookupError(f"no handler is registered for outbox topic {topic!r}")
    event = OutboxEvent(topic=topic, payload=payload)
    if available_at is not None:
        event.available_at = available_at
    db.add(event)
    changed(db, "outbox")
    return event


_OUTBOX = OutboxEvent.metadata.tables["outbox"]
_INSERT = insert(_OUTBOX)


def emit(db: Session, topic: str, payload: dict[str, Any]) -> None:
    """Record an event (``comment.created``…) for whoever consumes it: a row
    is written only when a handler for ``topic`` is registered and wants it
    (``rostra.jobs.registry.Wanted``), so an event that nothing would act on
    costs nothing after the commit. Written on the connection, with no ORM
    object: comments emit one with every post."""
    registered = handler_for(topic)
    if registered is None or (registered.wanted and not registered.wanted(db, payload)):
        return
    now = utcnow()
    row = {"topic": topic, "payload": payload, "created_at": now, "available_at": now}
    db.connection().execute(_INSERT, {**row, "attempts": 0})
    changed(db, "outbox")


def lock_topic(db: Session, topic: str) -> None:
    """Serialise, until the transaction ends, the writers that call this for ``topic``.

    PostgreSQL: a transaction-level advisory lock. SQLite: nothing to do, as
    long as the session writes (``make_sessionmaker`` begins IMMEDIATE, so
    the database already lets one writing transaction in at a time).
    """
    if db.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(
            hashlib.sha256(f"outbox:{topic}".encode()).digest()[:8], "big", signed=True
        )
        db.execute(select(func.pg_advisory_xact_lock(key)))


def has_pending(db: Session, topic: str, *, besides: int | None = None) -> bool:
    """Whether a row of ``topic`` is waiting or running (not done), other than ``besides``."""
    query = exists().where(OutboxEvent.topic == topic, OutboxEvent.done_at.is_(None))
    if besides is not None:
        query = query.where(OutboxEvent.id != besides)
    return bool(db.scalar(select(query)))


def delete_finished(db: Session, done_before: datetime) -> int:
    """Delete rows carried out without error before ``done_before``; failed rows
    (``last_error`` set) stay as a record for the operator."""
    result = db.execute(
        delete(OutboxEvent)
        .where(OutboxEvent.done_at < done_before, OutboxEvent.last_error.is_(None))
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)


def _ready(now: datetime, limit: int) -> Select[int]:
    return (
        select(OutboxEvent.id)
        .where(
            OutboxEvent.done_at.is_(None),
            OutboxEvent.available_at <= now,
            or_(OutboxEvent.locked_until.is_(None), OutboxEvent.locked_until < now),
        )
        .order_by(OutboxEvent.id)
        .limit(limit)
    )


def take(db: Session, topics: Collection[str], limit: int) -> list[OutboxEvent]:
    """Up to ``limit`` ready rows of ``topics``, held by the caller's
    transaction rather than by a lease: for work done and marked done in
    that one transaction (the handlers that write). The rows stay locked
    until it ends (PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so other runners
    pass them by; SQLite: the writing transaction is the only one), and a
    runner that dies leaves them as they were. Each counts as an attempt."""
    if not topics:
        return []
    ready = _ready(utcnow(), limit).where(OutboxEvent.topic.in_(sorted(topics)))
    if db.get_bind().dialect.name == "postgresql":
        ready = ready.with_for_update(skip_locked=True)
    ids = list(db.scalars(ready))
    if not ids:
        return []
    db.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id.in_(ids))
        .values(attempts=OutboxEvent.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    query = select(OutboxEvent).where(OutboxEvent.id.in_(ids)).order_by(OutboxEvent.id)
    return list(db.scalars(query.execution_options(populate_existing=True)))


def claim(db: Session, limit: int = 20, *, besides: Collection[str] = ()) -> list[OutboxEvent]:
    """Lease up to ``limit`` ready rows (of any topic but ``besides``) to
    this runner for ``LEASE``; the caller commits the claim, then runs them."""
    now = utcnow()
    ready = _ready(now, limit)
    if besides:
        ready = ready.where(OutboxEvent.topic.not_in(sorted(besides)))
    if db.get_bind().dialect.name == "postgresql":
        ready = ready.with_for_update(skip_locked=True)
    claimed: list[int] = []
    for event_id in list(db.scalars(ready)):
        # The condition is re-checked by each UPDATE, so when two runners
        # saw the same row only the one whose update matched takes it.
        result = db.execute(
            update(OutboxEvent)
            .where(
                OutboxEvent.id == event_id,
                or_(OutboxEvent.locked_until.is_(None), OutboxEvent.locked_until < now),
            )
            .values(locked_until=now + LEASE, attempts=OutboxEvent.attempts + 1)
        )
        if rowcount(result) == 1:
            claimed.append(event_id)
    if not claimed:
        return []
    return list(
        db.scalars(select(OutboxEvent).where(OutboxEvent.id.in_(claimed)).order_by(OutboxEvent.id))
    )


def finish(event: OutboxEvent) -> None:
    event.done_at = utcnow()
    event.locked_until = None
    event.last_error = None


def fail(event: OutboxEvent, error: str) -> None:
    """Back off exponentially; after MAX_ATTEMPTS the row stays as a record."""
    # The message may quote the input that failed; it must be storable (see
    # rostra.db.guard), or the failure itself could not be recorded.
    storable = error.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
    event.last_error = storable[:2000]
    event.locked_until = None
    if event.attempts >= MAX_ATTEMPTS:
        event.done_at = utcnow()
    else:
        event.available_at = utcnow() + timedelta(seconds=min(3600, 2**event.attempts))
