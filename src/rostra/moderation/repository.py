"""Every query over roles, bans and the audit log."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, bindparam, cast, delete, func, or_, select
from sqlalchemy.orm import Session

from rostra.models import AuditEntry, Ban, SiteRole


def role(db: Session, user_id: int, site_id: int) -> str | None:
    return db.scalar(
        select(SiteRole.role).where(SiteRole.user_id == user_id, SiteRole.site_id == site_id)
    )


def roles_of(db: Session, user_id: int) -> dict[int, str]:
    rows = db.execute(select(SiteRole.site_id, SiteRole.role).where(SiteRole.user_id == user_id))
    return {site_id: r for site_id, r in rows}


def with_roles(db: Session, site_id: int, user_ids: Iterable[int]) -> frozenset[int]:
    ids = set(user_ids)
    if not ids:
        return frozenset()
    query = select(SiteRole.user_id).where(SiteRole.site_id == site_id, SiteRole.user_id.in_(ids))
    return frozenset(db.scalars(query))


def set_role(db: Session, site_id: int, user_id: int, value: str | None) -> None:
    db.execute(delete(SiteRole).where(SiteRole.site_id == site_id, SiteRole.user_id == user_id))
    if value is not None:
        db.add(SiteRole(site_id=site_id, user_id=user_id, role=value))
    db.flush()


# Built once and run on the connection: every post asks it.
_BANS = Ban.metadata.tables["bans"]
_ACTIVE_BAN = (
    select(_BANS.c.reason, _BANS.c.until)
    .where(
        _BANS.c.user_id == bindparam("user_id"),
        or_(_BANS.c.site_id == bindparam("site_id"), _BANS.c.site_id.is_(None)),
        _BANS.c.lifted_at.is_(None),
        or_(_BANS.c.until.is_(None), _BANS.c.until > bindparam("now")),
    )
    .order_by(_BANS.c.id.desc())
    .limit(1)
)


def active_ban(
    db: Session, user_id: int, site_id: int, now: datetime
) -> tuple[str, datetime | None] | None:
    """The reason and end of the reader's latest ban in force on the site
    (or on every site), or None."""
    params = {"user_id": user_id, "site_id": site_id, "now": now}
    row = db.connection().execute(_ACTIVE_BAN, params).first()
    return None if row is None else (row.reason, row.until)


def bans_in_force(db: Session, user_id: int, site_id: int | None, now: datetime) -> list[Ban]:
    """The reader's bans in force on exactly this site (None: every site's)."""
    where_site = Ban.site_id.is_(None) if site_id is None else Ban.site_id == site_id
    query = select(Ban).where(
        Ban.user_id == user_id,
        where_site,
        Ban.lifted_at.is_(None),
        or_(Ban.until.is_(None), Ban.until > now),
    )
    return list(db.scalars(query.order_by(Ban.id).with_for_update()))


def banned_among(
    db: Session, site_id: int, user_ids: Iterable[int], now: datetime
) -> dict[int, Ban]:
    """The active ban on the site (or everywhere) of each of these people."""
    ids = set(user_ids)
    if not ids:
        return {}
    query = (
        select(Ban)
        .where(
            Ban.user_id.in_(ids),
            or_(Ban.site_id == site_id, Ban.site_id.is_(None)),
            Ban.lifted_at.is_(None),
            or_(Ban.until.is_(None), Ban.until > now),
        )
        .order_by(Ban.id)
    )
    return {ban.user_id: ban for ban in db.scalars(query)}


def bans_of(db: Session, user_id: int) -> list[Ban]:
    return list(db.scalars(select(Ban).where(Ban.user_id == user_id).order_by(Ban.id)))


def add(db: Session, row: Ban | AuditEntry) -> None:
    db.add(row)
    db.flush()


@dataclass(frozen=True)
class AuditFilter:
    """What an audit search keeps (every field given must hold)."""

    action: str | None = None
    actor_id: int | None = None
    #: Only Rostra's own actions (no actor).
    system: bool = False
    target: tuple[str, int] | None = None
    #: Words in the action, the reason or the data (case-insensitive).
    q: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _like(words: str) -> str:
    escaped = words.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def audit(
    db: Session,
    site_ids: list[int] | None,
    where: AuditFilter,
    before_id: int | None,
    after_id: int | None,
    limit: int,
) -> list[AuditEntry]:
    """Newest first; ``after_id`` gives the ``limit`` entries just newer."""
    query = select(AuditEntry)
    if site_ids is not None:
        query = query.where(AuditEntry.site_id.in_(site_ids))
    if where.action:
        query = query.where(AuditEntry.action == where.action)
    if where.actor_id is not None:
        query = query.where(AuditEntry.actor_id == where.actor_id)
    if where.system:
        query = query.where(AuditEntry.actor_id.is_(None))
    if where.target is not None:
        kind, target_id = where.target
        query = query.where(AuditEntry.target_kind == kind, AuditEntry.target_id == target_id)
    if where.since is not None:
        query = query.where(AuditEntry.created_at >= where.since)
    if where.until is not None:
        query = query.where(AuditEntry.created_at < where.until)
    for word in (where.q or "").split()[:5]:
        pattern = _like(word)
        query = query.where(
            or_(
                func.lower(AuditEntry.action).like(pattern, escape="\\"),
                func.lower(AuditEntry.reason).like(pattern, escape="\\"),
                func.lower(cast(AuditEntry.data, String)).like(pattern, escape="\\"),
            )
        )
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    if after_id is not None:
        query = query.where(AuditEntry.id > after_id)
        rows = list(db.scalars(query.order_by(AuditEntry.id).limit(limit)))
        return rows[::-1]
    return list(db.scalars(query.order_by(AuditEntry.id.desc()).limit(limit)))
