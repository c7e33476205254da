"""Reading threads: a page of top-level comments with their replies nested.

A page costs a fixed number of queries whatever its size: the top-level
comments, the first replies of all their threads (one windowed query), the
authors, and the viewer's likes. Nesting happens here, in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from rostra.comments import cursors, repository
from rostra.comments.views import JSON, Presenter, encode
from rostra.config import Settings
from rostra.db.base import utcnow
from rostra.errors import NotFound
from rostra.models import Comment, CommentStatus, User
from rostra.stories import service as stories
from rostra.stories.cache import StoryPages
from rostra.stories.views import no_story, story
from rostra.urls import normalise

REPLIES_PER_THREAD = 50


def presenter(
    db: Session, settings: Settings, viewer: User | None, rows: Sequence[Comment]
) -> Presenter:
    viewer_id = viewer.id if viewer else None
    authors = repository.authors(
        db,
        (
            r.author_id
            for r in rows
            if r.author_id is not None and r.status != CommentStatus.DELETED
        ),
    )
    liked = repository.liked_by(db, viewer_id, (r.id for r in rows)) if viewer_id else set()
    return Presenter(viewer_id, authors, liked, utcnow(), settings.edit_window_seconds)


def cached_first_page(
    db: Session, settings: Settings, pages: StoryPages, url: str, sort: str, limit: int
) -> bytes:
    """An anonymous reader's first page, as encoded JSON, from the story's
    page cache when it holds it (see ``rostra.stories.cache``)."""
    normalised = normalise(url)
    story_id = pages.story_id(normalised)
    if story_id is None:
        story_id = stories.id_by_url(db, normalised)
        if story_id is None:
            return encode(page(db, settings, url, sort, limit, None, None))
        pages.remember_story_id(normalised, story_id)
    key = pages.page_key(story_id, sort, limit)  # before reading the rows
    body = pages.get(key) if key else None
    if body is None:
        # End the read transaction that found the id: the page must come from
        # a snapshot taken after the generation was read.
        db.rollback()
        body = encode(page(db, settings, url, sort, limit, None, None))
        if key:
            pages.put(key, body)
    return body


def page(
    db: Session,
    settings: Settings,
    url: str,
    sort: str,
    limit: int,
    cursor: str | None,
    viewer: User | None,
) -> JSON:
    """``GET /comments``: the story and one page of its threads."""
    after = cursors.decode(cursor, sort) if cursor else None
    normalised = normalise(url)
    row = stories.by_url(db, normalised)
    if row is None:
        stories.resolve(db, normalised)  # an unknown site is an error, a new article is not
        return {"story": no_story(normalised), "comments": [], "next_cursor": None}
    viewer_id = viewer.id if viewer else None
    tops = repository.top_level(db, row.id, sort, limit + 1, after, viewer_id)
    next_cursor = None
    if len(tops) > limit:
        tops = tops[:limit]
        last = tops[-1]
        next_cursor = cursors.encode(
            sort, last.like_count if sort == "top" else last.created_at, last.id
        )
    replies = repository.first_replies(db, [t.id for t in tops], REPLIES_PER_THREAD + 1, viewer_id)
    show = presenter(db, settings, viewer, [*tops, *replies])
    return {"story": story(row), "comments": _nest(show, tops, replies), "next_cursor": next_cursor}


def _nest(show: Presenter, tops: Sequence[Comment], replies: Sequence[Comment]) -> list[JSON]:
    nodes: dict[int, JSON] = {t.id: show.comment(t) for t in tops}
    by_thread: dict[int, list[Comment]] = {}
    for reply in replies:
        by_thread.setdefault(reply.thread_id or 0, []).append(reply)
    for thread_id, rows in by_thread.items():
        root = nodes[thread_id]
        if len(rows) > REPLIES_PER_THREAD:
            rows = rows[:REPLIES_PER_THREAD]
            root["replies_cursor"] = cursors.encode("replies", rows[-1].created_at, rows[-1].id)
        # Two passes, so a reply listed before its parent (imported
        # timestamps) still finds it.
        for r in rows:
            nodes[r.id] = show.comment(r)
        for r in rows:
            # A reply whose parent is hidden from this viewer (pending,
            # rejected) is kept, under the top-level comment, not lost.
            parent: Any = nodes.get(r.parent_id or 0, root)
            parent["replies"].append(nodes[r.id])
    return [nodes[t.id] for t in tops]


def replies(
    db: Session,
    settings: Settings,
    comment_id: int,
    cursor: str | None,
    limit: int,
    viewer: User | None,
) -> JSON:
    """``GET /comments/{id}/replies``: more of one thread, flat, oldest first."""
    after = cursors.decode(cursor, "replies") if cursor else None
    viewer_id = viewer.id if viewer else None
    root = repository.get(db, comment_id)
    if root is None or root.depth != 0 or not repository.is_visible(root, viewer_id):
        raise NotFound("No such top-level comment.")
    rows = repository.replies_after(db, root.id, after, limit + 1, viewer_id)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = cursors.encode("replies", rows[-1].created_at, rows[-1].id)
    show = presenter(db, settings, viewer, rows)
    return {"replies": [show.comment(r) for r in rows], "next_cursor": next_cursor}
