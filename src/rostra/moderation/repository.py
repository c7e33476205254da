"""Every query over roles, bans and the audit log."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, or_, select
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


def active_ban(db: Session, user_id: int, site_id: int, now: datetime) -> Ban | None:
    query = (
        select(Ban)
        .where(
            Ban.user_id == user_id,
            or_(Ban.site_id == site_id, Ban.site_id.is_(None)),
            Ban.lifted_at.is_(None),
            or_(Ban.until.is_(None), Ban.until > now),
        )
        .order_by(Ban.id.desc())
        .limit(1)
    )
    return db.scalar(query)


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


def audit(
    db: Session,
    site_ids: list[int] | None,
    action: str | None,
    actor_id: int | None,
    target: tuple[str, int] | None,
    before_id: int | None,
    limit: int,
) -> list[AuditEntry]:
    query = select(AuditEntry)
    if site_ids is not None:
        query = query.where(AuditEntry.site_id.in_(site_ids))
    if action:
        query = query.where(AuditEntry.action == action)
    if actor_id is not None:
        query = query.where(AuditEntry.actor_id == actor_id)
    if target is not None:
        query = query.where(AuditEntry.target_kind == target[0], AuditEntry.target_id == target[1])
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return list(db.scalars(query.order_by(AuditEntry.id.desc()).limit(limit)))
