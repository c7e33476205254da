"""Background work of stories: reading an article's page for its title,
canonical URL and publication time (``story.metadata``).

The job is enqueued when a story is made, when an administrator asks and
when a site switches fetching on. It holds no transaction while it fetches:
it reads what to fetch, lets the session go, fetches (up to
``ROSTRA_METADATA_TIMEOUT_SECONDS``), then writes the result in a short
transaction of its own, which commits through the usual hooks (the story's
cached pages are retired). Every failure is recorded on the story. One that
may pass (a timeout, a 503) is raised, so the outbox tries again with
back-off and, after its last attempt, keeps the row with the error; a
refusal that will not change (a redirect off the site) ends the job.
"""

from __future__ import annotations

import logging

from rostra import __version__
from rostra.jobs.registry import JobContext, handles
from rostra.models import OutboxEvent
from rostra.stories import metadata, service

log = logging.getLogger(__name__)


def user_agent(public_url: str) -> str:
    return f"Rostra/{__version__} (comment platform; reads article titles; +{public_url})"


@handles(service.METADATA_TOPIC)
def fetch_metadata(event: OutboxEvent, ctx: JobContext) -> None:
    sessions = ctx.sessions
    if sessions is None:
        raise RuntimeError("story.metadata needs the job context's sessions")
    story_id = int(event.payload["story_id"])
    with sessions() as db:
        target = service.fetch_target(db, story_id)
        db.rollback()
    if target is None:
        return
    try:
        found = metadata.read(
            target.url,
            target.origins,
            timeout=ctx.settings.metadata_timeout_seconds,
            user_agent=user_agent(ctx.settings.public_url),
        )
    except metadata.FetchError as exc:
        with sessions() as db:
            service.record_metadata_error(db, story_id, str(exc))
            db.commit()
        if exc.retry:
            raise  # the outbox asks again later, and keeps the error after its last attempt
        log.warning("story %s: not reading %s again: %s", story_id, target.url, exc)
        return
    with sessions() as db:
        service.record_metadata(db, story_id, found)
        db.commit()
