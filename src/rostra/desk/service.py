"""What the Moderation API does, over the domains' services: every call
checks the caller's role on the site of what it acts on. Never commits."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from rostra.accounts import service as accounts
from rostra.config import Settings
from rostra.db.base import utcnow
from rostra.desk import repository
from rostra.desk.schemas import SiteSettingsIn, StoryModerationIn
from rostra.errors import NotFound
from rostra.models import Ban, Site, Story, User
from rostra.moderation import service as moderation
from rostra.moderation import settings as site_settings
from rostra.moderation.repository import AuditFilter
from rostra.sites import service as sites
from rostra.stories import service as stories
from rostra.stories.schemas import StoryPatchIn


def site_named(db: Session, name: str | None) -> Site | None:
    if name is None:
        return None
    site = sites.by_name(db, name)
    if site is None:
        raise NotFound("No such site.", field="site")
    return site


def site_id_named(db: Session, name: str | None) -> int | None:
    site = site_named(db, name)
    return None if site is None else site.id


def ban(
    db: Session, actor: User, user_id: int, site: str | None, seconds: int | None, reason: str
) -> Ban:
    target = _person(db, user_id)
    site_id = moderation.one_site(db, actor, site_id_named(db, site))
    return moderation.ban(db, actor, target.id, site_id, seconds, reason)


def moderate_story(db: Session, actor: User, story_id: int, data: StoryModerationIn) -> Story:
    story = stories.get(db, story_id)
    moderation.require_moderator(db, actor, story.site_id)
    if data.title is not None or data.canonical_url is not None:
        patch = StoryPatchIn(title=data.title, canonical_url=data.canonical_url)
        story = stories.patch(db, story_id, patch)
        moderation.record(
            db, story.site_id, actor.id, "story.edit", "story", story.id, "",
            {"title": data.title, "canonical_url": data.canonical_url},
        )  # fmt: skip
    site = sites.by_id(db, story.site_id)
    if (
        data.mode == "open"
        and site is not None
        and "auto_close_days" not in data.model_fields_set
        and stories.is_past_auto_close(story, site, utcnow())
    ):
        # Reopened after its auto-close day: the watch must not close it again.
        data = data.model_copy(update={"auto_close_days": 0})
        data.model_fields_set.add("auto_close_days")
    if "auto_close_days" in data.model_fields_set and data.auto_close_days != story.auto_close_days:
        story = stories.set_auto_close(db, story_id, data.auto_close_days)
        moderation.record(
            db, story.site_id, actor.id, "story.auto_close", "story", story.id, "",
            {"auto_close_days": data.auto_close_days},
        )  # fmt: skip
    if data.mode is not None or data.slow_mode_seconds is not None:
        story = stories.set_mode(db, story_id, data.mode, data.slow_mode_seconds)
        moderation.record(
            db, story.site_id, actor.id, "story.mode", "story", story.id, "",
            {"mode": data.mode, "slow_mode_seconds": data.slow_mode_seconds},
        )  # fmt: skip
    return story


def _person(db: Session, user_id: int) -> User:
    found = db.get(User, user_id) if 0 < user_id < 2**62 else None
    if found is None:
        raise NotFound("No such reader.")
    return found


def set_role(db: Session, actor: User, site: str, user_id: int, role: str | None) -> None:
    site_id = site_id_named(db, site)
    if site_id is None:  # pragma: no cover - a path parameter is never absent
        raise NotFound("No such site.")
    moderation.set_role(db, actor, site_id, _person(db, user_id).id, role)
    stories.author_changed(db, user_id, site_id)  # the staff badge is on their comments


def _admin_site(db: Session, actor: User, name: str) -> Site:
    site = site_named(db, name)
    if site is None:  # pragma: no cover - a path parameter is never absent
        raise NotFound("No such site.")
    moderation.require_site_admin(db, actor, site.id)
    return site


def settings_of(db: Session, settings: Settings, actor: User, name: str) -> dict[str, Any]:
    """A site's moderation settings (its administrators only)."""
    return settings_view(settings, _admin_site(db, actor, name))


def settings_view(settings: Settings, site: Site) -> dict[str, Any]:
    found = asdict(site_settings.of(site))
    window = site.edit_window_seconds
    return {
        "site": site.name,
        **found,
        "effective_edit_window_seconds": settings.edit_window_seconds if window is None else window,
    }


def change_settings(
    db: Session, settings: Settings, actor: User, name: str, data: SiteSettingsIn
) -> dict[str, Any]:
    """Change the settings given (null ``edit_window_seconds``: the server's
    default again); logged, one entry with the fields changed."""
    site = _admin_site(db, actor, name)
    given = data.model_dump(exclude_unset=True)
    changes = {k: v for k, v in given.items() if v is not None or k == "edit_window_seconds"}
    site_settings.change(db, site, changes, actor.id)
    return settings_view(settings, site)


def lift_ban(db: Session, actor: User, user_id: int, site: str | None, reason: str) -> int:
    """Lift the reader's bans in force on the site; returns how many."""
    target = _person(db, user_id)
    site_id = moderation.one_site(db, actor, site_id_named(db, site))
    return moderation.lift_ban(db, actor, target.id, site_id, reason)


def audit_filter(
    db: Session,
    action: str | None,
    actor: str | None,
    actor_id: int | None,
    comment_id: int | None,
    q: str | None,
    since: datetime | None,
    until: datetime | None,
) -> AuditFilter:
    """The audit search: ``actor`` is a person's id, handle or email, or
    ``system`` for Rostra's own actions (404 when nobody matches)."""
    system = False
    words = (actor or "").strip()
    if words.lower() == "system":
        system = True
    elif words:
        found = find_person(db, words)
        if found is None:
            raise NotFound("Nobody has that id, handle or email.", field="actor")
        actor_id = found.id
    return AuditFilter(
        action=(action or "").strip() or None,
        actor_id=actor_id,
        system=system,
        target=("comment", comment_id) if comment_id is not None else None,
        q=(q or "").strip() or None,
        since=since,
        until=until,
    )


def find_person(db: Session, words: str) -> User | None:
    """A person by id, ``@handle``/handle or email, as a moderator types it."""
    if words.isdigit():
        return db.get(User, int(words)) if 0 < int(words) < 2**62 else None
    if "@" in words and not words.startswith("@"):
        return accounts.by_email(db, words)
    return accounts.by_handle(db, words.removeprefix("@"))


def audit_page(
    db: Session,
    actor: User,
    site_id: int | None,
    where: AuditFilter,
    before: int | None,
    after: int | None,
    limit: int,
) -> dict[str, Any]:
    """A page of the audit log and the cursors either side of it."""
    rows = moderation.audit(db, actor, site_id, where, before, limit + 1, after)
    if after is not None:
        newer = len(rows) > limit
        rows = rows[-limit:] if newer else rows
        older = bool(rows)
    else:
        older = len(rows) > limit
        rows = rows[:limit]
        newer = before is not None and bool(rows)
    names = accounts.handles_of(db, {r.actor_id for r in rows if r.actor_id is not None})
    entries = [
        {**{c: getattr(r, c) for c in _ENTRY}, "actor_handle": names.get(r.actor_id or 0)}
        for r in rows
    ]
    return {
        "entries": entries,
        "next_before": rows[-1].id if older and rows else None,
        "next_after": rows[0].id if newer and rows else None,
    }


_ENTRY = ("id", "site_id", "actor_id", "action", "target_kind", "target_id", "reason", "data",
          "created_at")  # fmt: skip


def stories_of(
    db: Session, actor: User, site: Site, q: str, offset: int, limit: int
) -> list[Story]:
    """A page of the site's stories, newest first (title or URL containing ``q``)."""
    moderation.require_moderator(db, actor, site.id)
    return repository.stories_of(db, site.id, q.strip(), offset, limit)


def people_of(db: Session, actor: User, site: Site) -> list[tuple[User, str]]:
    """Who has a role on the site (its administrators only)."""
    moderation.require_site_admin(db, actor, site.id)
    return repository.people_with_roles(db, site.id)


def give_role(db: Session, actor: User, site: Site, who: str, role: str | None) -> User:
    """Give (or, ``role`` None, take) a role by id, handle or email."""
    person = find_person(db, who.strip()) if who.strip() else None
    if person is None:
        raise NotFound("Nobody has that email, handle or id.", field="who")
    moderation.set_role(db, actor, site.id, person.id, role)
    return person


def surging(db: Session, actor: User, site_ids: list[int] | None) -> list[Story]:
    """The stories surging now on the sites given (None: every site the
    actor moderates)."""
    if site_ids is None:
        site_ids = moderation.moderated_sites(db, actor)
    return repository.surging_now(db, site_ids)
