"""Comment rows to the JSON the API documents (``schemas.CommentOut``).

The hot read path builds plain dicts and encodes them once, rather than
through pydantic models: pages are large and, for anonymous readers, cached
as the encoded bytes. ``tests/comments`` validates these dicts against the
schemas so the two cannot drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from rostra.models import Comment, CommentStatus, User

JSON = dict[str, Any]


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def encode(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def author(user: User, staff: bool = False) -> JSON:
    return {
        "id": user.id,
        "handle": user.handle,
        "display_name": user.display_name,
        "avatar_url": user.avatar_url,
        "is_staff": staff,
    }


class Presenter:
    """Renders comments for one viewer, from rows loaded in bulk beforehand
    (authors by id, the viewer's liked ids), so presenting costs no query."""

    def __init__(
        self,
        viewer_id: int | None,
        authors: Mapping[int, User],
        liked: set[int],
        now: datetime,
        edit_window: int,
        blocked: frozenset[int] = frozenset(),
        staff: frozenset[int] = frozenset(),
    ) -> None:
        self.viewer_id = viewer_id
        #: Authors the viewer blocked: their comments come collapsed.
        self.blocked = blocked
        #: Authors with a role on the story's site: a staff badge.
        self.staff = staff
        self.authors = authors
        self.liked = liked
        self.now = now
        self.edit_window = timedelta(seconds=edit_window)

    def comment(self, row: Comment) -> JSON:
        deleted = row.status == CommentStatus.DELETED
        mine = not deleted and self.viewer_id is not None and row.author_id == self.viewer_id
        user = None if deleted or row.author_id is None else self.authors.get(row.author_id)
        until = row.created_at + self.edit_window
        return {
            "id": row.id,
            "parent_id": row.parent_id,
            "thread_id": row.thread_id,
            "depth": row.depth,
            "author": author(user, user.id in self.staff) if user is not None else None,
            "html": "" if deleted else row.html,
            "body": row.body if mine else None,
            "status": row.status,
            "created_at": iso(row.created_at),
            "edited_at": iso(row.edited_at),
            "like_count": row.like_count,
            "liked": row.id in self.liked,
            "is_mine": mine,
            "editable_until": iso(until) if mine and self.now < until else None,
            "reply_count": row.reply_count,
            "replies": [],
            "replies_cursor": None,
            "reply_to": None,
            "collapsed": user is not None and user.id in self.blocked,
            "is_featured": row.is_featured,
            # Why it waits or was refused: for its author only.
            "moderation_reason": row.moderation_reason
            if mine and row.status != CommentStatus.PUBLISHED
            else None,
        }

    def name(self, row: Comment) -> str | None:
        """The name shown for a comment's author: None for a deleted comment
        or an account that is gone (so a ``reply_to`` names nobody)."""
        if row.status == CommentStatus.DELETED or row.author_id is None:
            return None
        user = self.authors.get(row.author_id)
        return user.display_name if user is not None else None


def public(row: Comment, author_row: User | None, now: datetime, staff: bool = False) -> JSON:
    """A comment as any reader sees it (live events); ``staff``: its author
    has a role on the story's site (the badge)."""
    authors = {author_row.id: author_row} if author_row is not None else {}
    badge = frozenset(authors) if staff else frozenset()
    return Presenter(None, authors, set(), now, 0, staff=badge).comment(row)


def own(
    row: Comment, author_row: User, now: datetime, edit_window: int, staff: bool = False
) -> JSON:
    """A comment as its author sees it (answers to posts and edits, the
    author's own live channel)."""
    badge = frozenset({author_row.id}) if staff else frozenset()
    show = Presenter(
        author_row.id, {author_row.id: author_row}, set(), now, edit_window, staff=badge
    )
    return show.comment(row)


def reply_to(parent_id: int, display_name: str | None) -> JSON:
    """``CommentOut.reply_to``: whom a reply not shown under its parent answers."""
    return {"id": parent_id, "display_name": display_name}
