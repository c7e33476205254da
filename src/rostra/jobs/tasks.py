"""Outbox handlers for the runner's own upkeep: the housekeeping pass."""

from __future__ import annotations

from datetime import timedelta

from rostra.db.base import utcnow
from rostra.jobs import housekeeping
from rostra.jobs.runner import JobContext, handles, job_session
from rostra.models import OutboxEvent


@handles(housekeeping.TOPIC, writes=True)
def housekeep(event: OutboxEvent, ctx: JobContext) -> None:
    # The deletes, the next pass and this row's "done" commit together: a
    # pass that fails leaves nothing half done and is retried with back-off.
    db = job_session(event)
    now = utcnow()
    housekeeping.sweep(db, now)
    interval = timedelta(seconds=ctx.settings.housekeeping_interval_seconds)
    housekeeping.schedule(db, now + interval, besides=event.id)
