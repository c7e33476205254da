"""Writing, claiming and finishing outbox rows.

``enqueue`` is called inside the request's transaction. ``claim`` takes a
batch atomically: on PostgreSQL with ``FOR UPDATE SKIP LOCKED`` so many
workers share the queue; on SQLite, writes are serialised by the database,
so a conditional UPDATE of ``locked_until`` is enough.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from rostra.db.base import utcnow
from rostra.models import OutboxEvent

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8


def enqueue(db: Session, topic: str, payload: dict[str, Any]) -> OutboxEvent:
    event = OutboxEvent(topic=topic, payload=payload)
    db.add(event)
    return event


def claim(db: Session, limit: int = 20) -> list[OutboxEvent]:
    now = utcnow()
    ready = (
        select(OutboxEvent.id)
        .where(
            OutboxEvent.done_at.is_(None),
            OutboxEvent.available_at <= now,
            or_(OutboxEvent.locked_until.is_(None), OutboxEvent.locked_until < now),
        )
        .order_by(OutboxEvent.id)
        .limit(limit)
    )
    if db.get_bind().dialect.name == "postgresql":
        ready = ready.with_for_update(skip_locked=True)
    claimed: list[int] = []
    for event_id in list(db.scalars(ready)):
        # The condition is re-checked by each UPDATE, so when two runners
        # saw the same row only the one whose update matched takes it.
        result = db.execute(
            update(OutboxEvent)
            .where(OutboxEvent.id == event_id,
                   or_(OutboxEvent.locked_until.is_(None), OutboxEvent.locked_until < now))
            .values(locked_until=now + LEASE, attempts=OutboxEvent.attempts + 1)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            claimed.append(event_id)
    if not claimed:
        return []
    return list(db.scalars(select(OutboxEvent).where(OutboxEvent.id.in_(claimed))
                           .order_by(OutboxEvent.id)))


def finish(event: OutboxEvent) -> None:
    event.done_at = utcnow()
    event.locked_until = None
    event.last_error = None


def fail(event: OutboxEvent, error: str) -> None:
    """Back off exponentially; after MAX_ATTEMPTS the row stays as a record."""
    event.last_error = error[:2000]
    event.locked_until = None
    if event.attempts >= MAX_ATTEMPTS:
        event.done_at = utcnow()
    else:
        event.available_at = utcnow() + timedelta(seconds=min(3600, 2 ** event.attempts))
