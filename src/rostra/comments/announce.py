"""What the comment rules tell live readers, inside the change's transaction.

A published comment's events go on its story's channel, for every reader;
a held one's go only on its author's own channel (``user:ID``), so a held
comment never reaches a reader who may not see it. Event names and data
are documented in docs/api.md ("Live updates").
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from rostra.comments import views
from rostra.db.base import utcnow
from rostra.http.live import log as live
from rostra.models import Comment, CommentStatus, User
from rostra.stories import service as stories

PUBLIC = (CommentStatus.PUBLISHED.value, CommentStatus.DELETED.value)


def created(
    db: Session, comment: Comment, author: User, story_url: str, count: int | None, window: int,
    staff: bool = False,
) -> None:  # fmt: skip
    """``staff``: the author has a role on the story's site (the badge)."""
    now = utcnow()
    if comment.status == CommentStatus.PUBLISHED:
        stories.announce(
            db,
            comment.story_id,
            "comment.created",
            {"comment": views.public(comment, author, now, staff), "comment_count": count},
            url=story_url,
        )
    else:
        _to_author(
            db,
            author.id,
            "comment.held",
            comment,
            story_url,
            views.own(comment, author, now, window, staff),
        )


def updated(db: Session, comment: Comment, author: User, window: int, staff: bool = False) -> None:
    now = utcnow()
    if comment.status == CommentStatus.PUBLISHED:
        view = views.public(comment, author, now, staff)
        stories.announce(db, comment.story_id, "comment.updated", {"comment": view})
    else:
        url = stories.url_of(db, comment.story_id)
        own = views.own(comment, author, now, window, staff)
        _to_author(db, author.id, "comment.updated", comment, url, own)


def deleted(
    db: Session, comment_id: int, story_id: int, author_id: int, was: str, placeholder: bool,
    count: int | None,
) -> None:  # fmt: skip
    data = {"id": comment_id, "placeholder": placeholder, "comment_count": count}
    if was in PUBLIC:
        stories.announce(db, story_id, "comment.deleted", data)
    else:
        url = stories.url_of(db, story_id)
        live.publish(
            db, live.user_channel(author_id), "comment.deleted", {**data, "story_url": url}
        )


def liked(db: Session, comment: Comment, like_count: int) -> None:
    stories.announce(
        db, comment.story_id, "comment.liked", {"id": comment.id, "like_count": like_count}
    )


def _to_author(
    db: Session, author_id: int, kind: str, comment: Comment, story_url: str, view: views.JSON
) -> None:
    live.publish(db, live.user_channel(author_id), kind, {"story_url": story_url, "comment": view})
