"""What the Moderation API does, over the domains' services: every call
checks the caller's role on the site of what it acts on. Never commits."""

from __future__ import annotations

from sqlalchemy.orm import Session

from rostra.desk.schemas import StoryModerationIn
from rostra.errors import NotFound
from rostra.models import Ban, Site, Story, User
from rostra.moderation import service as moderation
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
