"""Outbox handlers for comment events: announce committed changes to live
readers of the story (SSE streams subscribe to ``story:{id}``).

Events carry ids only; clients fetch what they may see through the API, so
a pending comment's text never reaches other readers this way.
"""

from __future__ import annotations

from rostra.jobs.runner import JobContext, handles
from rostra.models import OutboxEvent


def _publish(event: OutboxEvent, ctx: JobContext) -> None:
    payload = event.payload
    ctx.backends.broker.publish(
        f"story:{payload['story_id']}",
        {
            "type": event.topic,
            "comment_id": payload["comment_id"],
            "story_id": payload["story_id"],
        },
    )


handles("comment.created")(_publish)
handles("comment.updated")(_publish)
handles("comment.deleted")(_publish)
