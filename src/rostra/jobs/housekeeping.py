"""Housekeeping: delete rows that have served their purpose, so tables stay small.

One pass (``sweep``) runs, in the caller's transaction, every delete that a
domain registered with ``rostra.jobs.registry.sweeps`` (idempotency keys,
used SSO token ids, ended sign-ins, expired mail tokens…), each with how
long its rows are kept, and deletes the outbox rows finished without error
more than 7 days ago.

The pass is itself an outbox row of topic ``housekeeping``. The claim that
hands every job to exactly one runner therefore also makes exactly one runner,
of however many, clean up per interval; no new table or lock service is needed.
Its handler (``housekeep`` below) sweeps, then schedules the next pass
``housekeeping_interval_seconds`` later, in the same transaction. Each runner
also calls ``ensure_scheduled`` at start and then once per interval, which
starts the chain on a new database and restarts it if a pass failed for good.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from rostra.db.base import utcnow
from rostra.jobs import outbox
from rostra.jobs.registry import SWEEPS, JobContext, handles, job_session, sweeps
from rostra.models import OutboxEvent

log = logging.getLogger(__name__)

TOPIC = "housekeeping"
FINISHED_JOBS_KEPT = timedelta(days=7)


@sweeps("outbox", keep=FINISHED_JOBS_KEPT)
def _finished_jobs(db: Session, before: datetime) -> int:
    return outbox.delete_finished(db, before)


def sweep(db: Session, now: datetime | None = None) -> dict[str, int]:
    """Delete the old rows of every kind; returns how many of each. The
    caller commits them as one transaction."""
    now = now or utcnow()
    swept = {name: fn(db, now - keep) for name, (fn, keep) in sorted(SWEEPS.items())}
    if any(swept.values()):
        log.info(
            "housekeeping deleted %s",
            ", ".join(f"{n} {kind}" for kind, n in swept.items() if n),
        )
    return swept


def schedule(db: Session, at: datetime, *, besides: int | None = None, topic: str = TOPIC) -> bool:
    """Add a pass of ``topic`` (housekeeping, or a recurring job) to run at
    ``at`` unless one is already waiting (other than ``besides``, the pass
    now running). Returns whether it added one.

    The check and the insert hold the topic's lock (``outbox.lock_topic``), so
    runners starting together add one row between them, not one each. On
    SQLite ``db`` must be a writing session.
    """
    outbox.lock_topic(db, topic)
    if outbox.has_pending(db, topic, besides=besides):
        return False
    outbox.enqueue(db, topic, {}, available_at=at)
    db.flush()
    return True


def ensure_scheduled(
    db: Session, interval_seconds: int, now: datetime | None = None, *, topic: str = TOPIC
) -> bool:
    """Start the chain of passes if no pass is waiting; the first runs one
    interval from now, so "at most once per interval" holds across restarts."""
    now = now or utcnow()
    return schedule(db, now + timedelta(seconds=interval_seconds), topic=topic)


@handles(TOPIC, writes=True)
def housekeep(event: OutboxEvent, ctx: JobContext) -> None:
    # The deletes, the next pass and this row's "done" commit together: a
    # pass that fails leaves nothing half done and is retried with back-off.
    db = job_session(event)
    now = utcnow()
    sweep(db, now)
    interval = timedelta(seconds=ctx.settings.housekeeping_interval_seconds)
    schedule(db, now + interval, besides=event.id)
