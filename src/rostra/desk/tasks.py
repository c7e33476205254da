"""Background work of the desk: the moderation watch (surges, auto-close),
a recurring job (``rostra.jobs.registry.recurs``) that one runner of however
many runs every ``ROSTRA_MODERATION_WATCH_SECONDS``."""

from __future__ import annotations

from rostra.db.base import utcnow
from rostra.desk import surge
from rostra.jobs.registry import JobContext, job_session, recurs
from rostra.models import OutboxEvent

TOPIC = "moderation.watch"


@recurs(TOPIC, every=lambda settings: settings.moderation_watch_seconds)
def watch(event: OutboxEvent, ctx: JobContext) -> None:
    surge.watch(job_session(event), utcnow())
