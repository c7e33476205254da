"""The rules of roles, bans and the audit log. Never commits.

A person's role on a site is a ``site_roles`` row; the operator's
administrator (``users.is_admin``, ``rostra createadmin``) is an admin of
every site. Moderators and admins work the site's queues; staff only wear
a badge on their comments. Every action on the site, a person's or
Rostra's own, is one row of the audit log, written in the action's
transaction, and told to the site's desk on its live channel
(``desk:SITE_ID``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from rostra.db.base import utcnow
from rostra.http.live import log as live
from rostra.models import AuditEntry, Ban, Role, User
from rostra.moderation import repository
from rostra.moderation.errors import (
    Banned,
    NotBanned,
    NotModerator,
    NotSiteAdmin,
    SiteRequired,
)
from rostra.moderation.repository import AuditFilter

DESK = (Role.ADMIN.value, Role.MODERATOR.value)


def role_on(db: Session, user: User, site_id: int) -> str | None:
    if user.is_admin:
        return Role.ADMIN.value
    return repository.role(db, user.id, site_id)


def require_moderator(db: Session, user: User, site_id: int) -> str:
    """The user's role on the site, or 403 ``not_moderator``."""
    found = role_on(db, user, site_id)
    if found not in DESK:
        raise NotModerator()
    return found


def require_site_admin(db: Session, user: User, site_id: int) -> None:
    if role_on(db, user, site_id) != Role.ADMIN:
        raise NotSiteAdmin()


def moderated_sites(db: Session, user: User) -> list[int] | None:
    """The sites whose queues the user works; None for every site."""
    if user.is_admin:
        return None
    return sorted(s for s, r in repository.roles_of(db, user.id).items() if r in DESK)


def is_moderator_anywhere(db: Session, user: User) -> bool:
    sites = moderated_sites(db, user)
    return sites is None or bool(sites)


def one_site(db: Session, user: User, site_id: int | None) -> int | None:
    """The site a call names, or the only one the user moderates; None for
    an operator's administrator naming none (every site)."""
    if site_id is not None:
        require_moderator(db, user, site_id)
        return site_id
    sites = moderated_sites(db, user)
    if sites is None:
        return None
    if len(sites) != 1:
        raise NotModerator() if not sites else SiteRequired()
    return sites[0]


def staff_among(db: Session, site_id: int, user_ids: Iterable[int]) -> frozenset[int]:
    """Who of these wears the staff badge on the site (any role there)."""
    return repository.with_roles(db, site_id, user_ids)


def set_role(db: Session, actor: User, site_id: int, user_id: int, value: str | None) -> None:
    require_site_admin(db, actor, site_id)
    repository.set_role(db, site_id, user_id, value)
    record(db, site_id, actor.id, "role.set", "user", user_id, "", {"role": value})


def grant(db: Session, site_id: int, user_id: int, value: str) -> None:
    """The operator's grant (the CLI), logged as Rostra's own action."""
    repository.set_role(db, site_id, user_id, value)
    record(db, site_id, None, "role.set", "user", user_id, "", {"role": value})


def ban(
    db: Session, actor: User, user_id: int, site_id: int | None, seconds: int | None, reason: str
) -> Ban:
    """Ban a reader from a site (from every site: ``site_id`` None, the
    operator's administrators only), for ``seconds`` or for good."""
    until = utcnow() + timedelta(seconds=seconds) if seconds else None
    row = Ban(user_id=user_id, site_id=site_id, until=until, reason=reason, by_id=actor.id)
    repository.add(db, row)
    action = "user.suspend" if until else "user.ban"
    data = {"until": until.isoformat() if until else None}
    record(db, site_id, actor.id, action, "user", user_id, reason, data)
    return row


def lift_ban(db: Session, actor: User, user_id: int, site_id: int | None, reason: str) -> int:
    """Lift the reader's bans in force on the site (``site_id`` None: the
    bans from every site, the operator's administrators only); 404
    ``not_banned`` when there is none. Returns how many were lifted."""
    now = utcnow()
    rows = repository.bans_in_force(db, user_id, site_id, now)
    if not rows:
        raise NotBanned()
    for row in rows:
        row.lifted_at = now
    db.flush()
    data = {"bans": [row.id for row in rows]}
    record(db, site_id, actor.id, "user.unban", "user", user_id, reason, data)
    return len(rows)


def ensure_not_banned(db: Session, user: User, site_id: int) -> None:
    found = repository.active_ban(db, user.id, site_id, utcnow())
    if found is not None:
        raise Banned(*found)


def banned_among(db: Session, site_id: int, user_ids: Iterable[int]) -> dict[int, Ban]:
    """Who of these is banned from the site now, with the ban."""
    return repository.banned_among(db, site_id, user_ids, utcnow())


def bans_of(db: Session, user_id: int) -> list[Ban]:
    return repository.bans_of(db, user_id)


def record(
    db: Session,
    site_id: int | None,
    actor_id: int | None,
    action: str,
    target_kind: str,
    target_id: int,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        site_id=site_id,
        actor_id=actor_id,
        action=action,
        target_kind=target_kind,
        target_id=target_id,
        reason=reason,
        data=data or {},
        created_at=utcnow(),
    )
    repository.add(db, entry)
    return entry


def desk_channel(site_id: int) -> str:
    return f"desk:{site_id}"


def tell_desk(db: Session, site_id: int, kind: str, data: dict[str, Any]) -> None:
    """Tell the site's moderators' desks of a change, after the commit."""
    live.publish(db, desk_channel(site_id), kind, data)


def audit(
    db: Session,
    user: User,
    site_id: int | None,
    where: AuditFilter,
    before_id: int | None,
    limit: int,
    after_id: int | None = None,
) -> list[AuditEntry]:
    """A page of the audit log of the sites the user moderates (or the one
    named), newest first: older than ``before_id``, or the page just newer
    than ``after_id``."""
    if site_id is not None:
        require_moderator(db, user, site_id)
        sites: list[int] | None = [site_id]
    else:
        sites = moderated_sites(db, user)
        if sites is not None and not sites:
            raise NotModerator()
    return repository.audit(db, sites, where, before_id, after_id, limit)
