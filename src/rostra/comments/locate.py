"""Where one comment is shown: a deep link (``ARTICLE#rostra-comment-ID``,
``/thread?url=…&comment=ID``) opens its thread at it.

``context`` says which story and thread a comment is in (the embed then
loads pages until the thread shows, and replies until the comment does);
``top_cursor`` and ``reply_cursor`` give the no-JS pages the cursor of the
page that holds it, by the same keyset order as the pages themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from rostra.comments import cursors, repository
from rostra.comments.threads import REPLIES_PER_THREAD
from rostra.errors import NotFound
from rostra.models import Comment, Story

JSON = dict[str, Any]


def visible(db: Session, comment_id: int, viewer_id: int | None) -> Comment:
    """The comment, if this viewer may see it (public, or their own); else 404."""
    row = repository.get(db, comment_id)
    if row is None or not repository.is_visible(row, viewer_id):
        raise NotFound("No such comment.")
    return row


def context(db: Session, comment_id: int, viewer_id: int | None) -> JSON:
    row = visible(db, comment_id, viewer_id)
    story = db.get(Story, row.story_id)
    if story is None:
        raise NotFound("No such comment.")
    return {
        "id": row.id,
        "parent_id": row.parent_id,
        "thread_id": row.thread_id or row.id,
        "story_id": story.id,
        "story_url": story.url,
    }


def top_cursor(db: Session, root: Comment, sort: str, limit: int) -> str | None:
    """The cursor of the page of ``limit`` threads that holds top-level
    comment ``root`` in ``sort`` order; None for the first page (where the
    featured ones are too)."""
    if root.is_featured:
        return None
    page = repository.top_level_before(db, root, sort) // limit
    last = repository.top_level_at(db, root.story_id, sort, page * limit - 1) if page else None
    if last is None:
        return None
    return cursors.encode(sort, last.like_count if sort == "top" else last.created_at, last.id)


def reply_page(db: Session, reply: Comment, per_page: int) -> tuple[int, str | None]:
    """Which page of ``per_page`` replies of its thread holds ``reply`` (0
    is the one shown under the thread's top comment) and that page's cursor."""
    page = repository.replies_before(db, reply) // per_page
    last = repository.reply_at(db, reply.thread_id or 0, page * per_page - 1) if page else None
    if last is None:
        return 0, None
    return page, cursors.encode("replies", last.created_at, last.id)


@dataclass(frozen=True)
class Place:
    """Where the no-JS pages show a public comment: the story's page of
    threads at ``story_cursor`` (None: the first), or, for a reply beyond the
    replies shown under its thread there, the thread's own page at
    ``replies_cursor``."""

    comment_id: int
    story_url: str
    thread_id: int
    story_cursor: str | None
    replies_cursor: str | None


def place(db: Session, comment_id: int, sort: str, limit: int) -> Place | None:
    """None for a comment hidden from readers (held, rejected, gone)."""
    try:
        row = visible(db, comment_id, None)
    except NotFound:
        return None
    story = db.get(Story, row.story_id)
    root = row if row.parent_id is None else repository.get(db, row.thread_id or 0)
    if story is None or root is None:
        return None
    replies_cursor = None
    if row.parent_id is not None:
        page, replies_cursor = reply_page(db, row, REPLIES_PER_THREAD)
        if page:
            return Place(row.id, story.url, root.id, None, replies_cursor)
    return Place(row.id, story.url, root.id, top_cursor(db, root, sort, limit), None)
