"""The desk's queries across domains: recent comment counts per story (the
surge check) and the dashboard's figures."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Integer, case, func, literal_column, select
from sqlalchemy.orm import Session

from rostra.models import Comment, Site, SiteRole, Story, User


def sites_watching(db: Session) -> list[Site]:
    """Sites with a surge threshold or an auto-close default, and sites with
    stories surging or closing on their own days."""
    busy = select(Story.site_id).where(
        (Story.surge_started_at.is_not(None)) | (Story.auto_close_days > 0)
    )
    query = select(Site).where(
        (Site.surge_threshold > 0) | (Site.auto_close_days > 0) | Site.id.in_(busy)
    )
    return list(db.scalars(query.order_by(Site.id)))


def recent_counts(db: Session, since: datetime) -> dict[int, tuple[int, int]]:
    """Comments written since ``since`` per story, with the story's site:
    ``{story_id: (site_id, count)}``. One range scan of the covering index
    ``ix_comments_created_story`` (whatever the table's size, only the
    window's rows are read), then the few stories' sites."""
    key: ColumnElement[int] = Comment.story_id.expression
    if db.get_bind().dialect.name == "sqlite":
        # Unary plus: else SQLite groups by walking a story index in full
        # instead of reading the window's range of the time index.
        key = literal_column("+comments.story_id", Integer)
    query = select(key, func.count()).where(Comment.created_at >= since).group_by(key)
    counts = {int(story_id): n for story_id, n in db.execute(query)}
    if not counts:
        return {}
    found = db.execute(select(Story.id, Story.site_id).where(Story.id.in_(counts)))
    return {story_id: (site_id, counts[story_id]) for story_id, site_id in found}


def stories_by_id(db: Session, ids: set[int], *, lock: bool = False) -> list[Story]:
    if not ids:
        return []
    query = select(Story).where(Story.id.in_(ids)).order_by(Story.id)
    return list(db.scalars(query.with_for_update() if lock else query))


def surging_now(db: Session, site_ids: list[int] | None) -> list[Story]:
    """The stories surging now (a reading query, no lock)."""
    query = select(Story).where(Story.surge_started_at.is_not(None))
    if site_ids is not None:
        query = query.where(Story.site_id.in_(site_ids))
    return list(db.scalars(query.order_by(Story.surge_started_at.desc()).limit(50)))


def surging(db: Session, site_id: int) -> list[Story]:
    query = select(Story).where(Story.site_id == site_id, Story.surge_started_at.is_not(None))
    return list(db.scalars(query.order_by(Story.id).with_for_update()))


def _in_sites(site_ids: list[int] | None) -> ColumnElement[bool]:
    if site_ids is None:
        return Comment.story_id.is_not(None)
    return Comment.story_id.in_(select(Story.id).where(Story.site_id.in_(site_ids)))


def _hour(db: Session) -> ColumnElement[str]:
    """The comment's hour as text, ``YYYY-MM-DD HH:00:00`` in UTC."""
    if db.get_bind().dialect.name == "postgresql":
        trunc = func.date_trunc("hour", func.timezone("UTC", Comment.created_at))
        return func.to_char(trunc, "YYYY-MM-DD HH24:00:00")
    return func.strftime("%Y-%m-%d %H:00:00", Comment.created_at)


def per_hour(
    db: Session, site_ids: list[int] | None, since: datetime
) -> list[tuple[str, str, int]]:
    """(hour, status, comments) for the comments written since ``since``."""
    hour = _hour(db).label("hour")
    query = (
        select(hour, Comment.status, func.count())
        .where(Comment.created_at >= since, _in_sites(site_ids))
        .group_by(hour, Comment.status)
    )
    return [(str(h), s, n) for h, s, n in db.execute(query)]


def held_rejected(
    db: Session, site_ids: list[int] | None, since: datetime
) -> list[tuple[str, str, str | None, int]]:
    """(status, step, a moderator's reason, comments) of the period's
    comments that are held or rejected now."""
    reason = case(
        (Comment.moderation_step == "moderator", Comment.moderation_reason), else_=None
    ).label("reason")
    step = func.coalesce(Comment.moderation_step, "moderator").label("step")
    query = (
        select(Comment.status, step, reason, func.count())
        .where(
            Comment.created_at >= since,
            Comment.status.in_(("pending", "rejected")),
            _in_sites(site_ids),
        )
        .group_by(Comment.status, step, reason)
    )
    return [(st, sp, r, n) for st, sp, r, n in db.execute(query)]


def queue_sizes(db: Session, site_ids: list[int] | None) -> tuple[int, int]:
    """(held comments, reported comments still open) now."""
    pending = select(func.count()).where(Comment.status == "pending", _in_sites(site_ids))
    reported = select(func.count()).where(
        Comment.report_count > 0, Comment.status == "published", _in_sites(site_ids)
    )
    return db.scalar(pending) or 0, db.scalar(reported) or 0


def decision_times(
    db: Session, site_ids: list[int] | None, since: datetime, limit: int
) -> list[tuple[datetime, datetime]]:
    """(written, decided) of moderators' decisions since ``since``, newest first."""
    query = (
        select(Comment.created_at, Comment.decided_at)
        .where(
            Comment.decided_at >= since,
            Comment.decided_by_id.is_not(None),
            Comment.moderation_step == "moderator",
            _in_sites(site_ids),
        )
        .order_by(Comment.decided_at.desc())
        .limit(limit)
    )
    return [(c, d) for c, d in db.execute(query) if d is not None]


def busiest(
    db: Session, site_ids: list[int] | None, since: datetime, limit: int
) -> list[tuple[Story, int]]:
    n = func.count().label("n")
    top = (
        select(Comment.story_id, n)
        .where(Comment.created_at >= since, _in_sites(site_ids))
        .group_by(Comment.story_id)
        .order_by(n.desc(), Comment.story_id)
        .limit(limit)
        .subquery()
    )
    query = (
        select(Story, top.c.n)
        .join(top, top.c.story_id == Story.id)
        .order_by(top.c.n.desc(), Story.id)
    )
    return [(story, count) for story, count in db.execute(query)]


def _like(words: str) -> str:
    escaped = words.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def stories_of(db: Session, site_id: int, q: str, offset: int, limit: int) -> list[Story]:
    query = select(Story).where(Story.site_id == site_id)
    if q:
        pattern = _like(q)
        query = query.where(
            func.lower(Story.title).like(pattern, escape="\\")
            | func.lower(Story.url).like(pattern, escape="\\")
        )
    return list(db.scalars(query.order_by(Story.id.desc()).offset(offset).limit(limit)))


def people_with_roles(db: Session, site_id: int) -> list[tuple[User, str]]:
    query = (
        select(User, SiteRole.role)
        .join(SiteRole, SiteRole.user_id == User.id)
        .where(SiteRole.site_id == site_id)
        .order_by(SiteRole.role, User.display_name, User.id)
    )
    return [(user, role) for user, role in db.execute(query)]
