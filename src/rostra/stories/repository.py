"""Every query over stories."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from rostra.db.base import rowcount, utcnow, valid_id
from rostra.models import Comment, Story


def by_id(db: Session, story_id: int, *, lock: bool = False) -> Story | None:
    if not valid_id(story_id):
        return None
    return db.get(Story, story_id, with_for_update=lock or None)


def site_id_of(db: Session, story_id: int) -> int:
    site_id: int = db.execute(select(Story.site_id).where(Story.id == story_id)).scalar_one()
    return site_id


def by_url(db: Session, url: str) -> Story | None:
    """The story of a normalised URL."""
    return db.scalar(select(Story).where(Story.url == url))


# Built once, run on the connection (no ORM execution): posting runs these
# on every request, and building and routing the statements through the
# ORM costs more than SQLite takes to answer them.
_STORIES = Story.metadata.tables["stories"]
_POSTING_ROW = select(
    _STORIES.c.id,
    _STORIES.c.site_id,
    _STORIES.c.is_closed,
    _STORIES.c.premoderated,
    _STORIES.c.slow_mode_seconds,
    _STORIES.c.title,
    _STORIES.c.title_source,
).where(_STORIES.c.url == bindparam("url"))
_CHANGE_COUNT = (
    update(_STORIES)
    .where(_STORIES.c.id == bindparam("story_id"))
    .values(comment_count=_STORIES.c.comment_count + bindparam("delta"))
    .returning(_STORIES.c.comment_count)
)


def posting_row(db: Session, url: str) -> tuple[int, int, bool, bool, int, bool] | None:
    """(id, site id, is closed, premoderated, slow mode, wants a title) of the
    story at ``url``: what posting a comment needs, in one indexed read of a
    few columns (no ORM row)."""
    row = db.connection().execute(_POSTING_ROW, {"url": url}).first()
    if row is None:
        return None
    wants_title = row.title == "" and row.title_source == "client"
    return (
        row.id,
        row.site_id,
        bool(row.is_closed),
        bool(row.premoderated),
        int(row.slow_mode_seconds or 0),
        wants_title,
    )


def set_client_title(db: Session, story_id: int, title: str) -> bool:
    """The client's placeholder title, if the story still has none from anyone."""
    result = db.execute(
        update(Story)
        .where(Story.id == story_id, Story.title == "", Story.title_source == "client")
        .values(title=title)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


def id_by_url(db: Session, url: str) -> int | None:
    """Only the id: a cache lookup must not load (and keep) a stale row."""
    return db.scalar(select(Story.id).where(Story.url == url))


def get_or_create(db: Session, site_id: int, url: str, title: str) -> tuple[Story, bool]:
    """The story of ``url``, created if needed, safe against a concurrent
    first comment on the same article; and whether this call created it.

    ``INSERT … ON CONFLICT (url) DO NOTHING`` (SQLite and PostgreSQL) makes the
    loser of the race a no-op instead of an error, then both read the winner's
    row, with no SAVEPOINT and no error to recover from.
    """
    story = by_url(db, url)
    if story is not None:
        return story, False
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    inserted = db.scalar(
        dialect.insert(Story)
        .values(
            site_id=site_id,
            url=url,
            title=title,
            is_closed=False,
            comment_count=0,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=[Story.url])
        .returning(Story.id)  # no row when the other writer's insert won
    )
    story = by_url(db, url)
    if story is None:  # inserted above or by the winner of the race: cannot happen
        raise RuntimeError(f"story {url!r} neither inserted nor found")
    return story, inserted is not None


def ids_commented_by(db: Session, user_id: int, site_id: int | None = None) -> list[int]:
    """The stories (of the site, or of any) that show a comment of the user."""
    query = select(Comment.story_id).where(Comment.author_id == user_id)
    if site_id is not None:
        query = query.join(Story, Story.id == Comment.story_id).where(Story.site_id == site_id)
    return list(db.scalars(query.distinct()))


def ids_of_site(db: Session, site_id: int) -> list[int]:
    return list(db.scalars(select(Story.id).where(Story.site_id == site_id).order_by(Story.id)))


def drop_client_titles(db: Session, site_id: int) -> list[int]:
    """Empty the titles that clients sent for the site's stories; returns
    the ids of the stories changed."""
    ids = list(
        db.scalars(
            select(Story.id).where(
                Story.site_id == site_id, Story.title_source == "client", Story.title != ""
            )
        )
    )
    if ids:
        db.execute(
            update(Story)
            .where(Story.id.in_(ids))
            .values(title="")
            .execution_options(synchronize_session=False)
        )
    return ids


def change_comment_count(db: Session, story_id: int, delta: int) -> int:
    """Move the count by ``delta``; returns the new count."""
    result = db.connection().execute(_CHANGE_COUNT, {"story_id": story_id, "delta": delta})
    count: int = result.scalar_one()
    return count


def url_of(db: Session, story_id: int) -> str:
    url: str = db.execute(select(Story.url).where(Story.id == story_id)).scalar_one()
    return url


def counts(db: Session, urls: Iterable[str]) -> dict[str, tuple[int, int]]:
    """The ids and published comment counts of the stories among ``urls``
    (normalised), by URL."""
    wanted = set(urls)
    if not wanted:
        return {}
    rows = db.execute(select(Story.url, Story.id, Story.comment_count).where(Story.url.in_(wanted)))
    return {url: (story_id, count) for url, story_id, count in rows}


def auto_close_candidates(
    db: Session, site_id: int, site_days: int, now: datetime, limit: int
) -> list[Story]:
    """Open stories of the site that may be past their auto-close day: by
    the site's default (filtered here), or with days of their own (few,
    set by editors; the caller checks each)."""
    by_site = and_(
        Story.auto_close_days.is_(None), Story.published_at <= now - timedelta(days=site_days)
    )
    own = and_(Story.auto_close_days > 0, Story.published_at <= now - timedelta(days=1))
    query = (
        select(Story)
        .where(
            Story.site_id == site_id,
            Story.is_closed.is_(False),
            Story.published_at.is_not(None),
            or_(by_site, own) if site_days > 0 else own,
        )
        .order_by(Story.id)
        .limit(limit)
        .with_for_update()
    )
    return list(db.scalars(query))
