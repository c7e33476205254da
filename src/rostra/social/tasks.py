"""The jobs of the social domain: notifications for comment events.

Registering these handlers is what makes comments write ``comment.created``
and ``comment.liked`` to the outbox (``rostra.jobs.outbox.emit``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from rostra.jobs.registry import JobContext, handles, job_session, sweeps
from rostra.models import CommentStatus, OutboxEvent
from rostra.social import notify, repository


def _may_notify(db: Session, payload: dict[str, Any]) -> bool:
    """Whether ``notify.comment_created`` could notify anyone of a new
    comment, from the facts its event carries: only a published one, and
    only a reply to somebody else, a mention, or an author somebody follows
    (the job decides the rest: blocks, switches, private authors). Most
    posts are none of these, and cost no job."""
    if "author_id" not in payload:
        return True  # an event without the facts: let the job decide
    if payload["status"] != CommentStatus.PUBLISHED.value:
        return False  # notified, if ever, when approved (``comment.moderated``)
    author = payload["author_id"]
    if payload.get("reply_to") not in (None, author) or payload.get("mentions"):
        return True
    return repository.has_followers(db, int(author))


@handles("comment.created", writes=True, wanted=_may_notify)
def _comment_created(event: OutboxEvent, ctx: JobContext) -> None:
    notify.comment_created(job_session(event), ctx.settings, int(event.payload["comment_id"]))


@handles("comment.liked", writes=True)
def _comment_liked(event: OutboxEvent, ctx: JobContext) -> None:
    payload = event.payload
    notify.comment_liked(job_session(event), int(payload["comment_id"]), int(payload["user_id"]))


@handles(notify.MODERATED_TOPIC, writes=True)
def _comment_moderated(event: OutboxEvent, ctx: JobContext) -> None:
    payload = event.payload
    notify.comment_moderated(
        job_session(event),
        ctx.settings,
        int(payload["comment_id"]),
        str(payload["action"]),
        payload.get("reason"),
    )


@handles(notify.DIGEST_TOPIC, writes=True)
def _digest(event: OutboxEvent, ctx: JobContext) -> None:
    """The daily digest: mails queued and rows marked in this one transaction."""
    db = job_session(event)
    notify.send_digests(db, ctx.settings)
    notify.schedule_digest(db, ctx.settings, besides=event.id)  # tomorrow's


@sweeps("notifications", keep=timedelta(days=90))
def _old_notifications(db: Session, before: datetime) -> int:
    """Read notifications older than 90 days; unread ones stay."""
    return repository.delete_read_notifications(db, before)
