"""The Moderation API (under /api/v1/moderation): queues, decisions, bans,
story controls, roles and the audit log. Moderators and the site's
administrators only; every call checks the role on the site concerned."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from rostra.comments import moderate, views
from rostra.db.base import utcnow
from rostra.desk import service, stats
from rostra.desk.schemas import (
    AuditOut,
    BanIn,
    BanOut,
    DashboardOut,
    DecisionIn,
    DecisionOut,
    Queue,
    QueueOut,
    RoleIn,
    SiteSettingsIn,
    SiteSettingsOut,
    StoryModerationIn,
    UnbanOut,
)
from rostra.http.deps import CurrentUser, ReadSession, SettingsDep, WriteSession
from rostra.stories.schemas import StoryAdminOut
from rostra.stories.views import story_admin

router = APIRouter(prefix="/moderation", tags=["moderation"])

Site = Annotated[str | None, Query(max_length=64, description="a site's name; absent: all yours")]


@router.get("/queue", response_model=QueueOut, summary="A page of a moderation queue")
def queue(
    user: CurrentUser,
    db: ReadSession,
    queue: Queue = "pending",
    site: Site = None,
    story_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> Response:
    site_id = service.site_id_named(db, site)
    cards = moderate.queue(db, user, queue, site_id, story_id, limit, offset)
    return Response(views.encode({"queue": queue, "cards": cards}), media_type="application/json")


@router.post(
    "/comments/{comment_id}/decision",
    response_model=DecisionOut,
    summary="Approve, reject, feature or unfeature a comment",
)
def decide(
    comment_id: int, data: DecisionIn, user: CurrentUser, db: WriteSession, settings: SettingsDep
) -> DecisionOut:
    comment = moderate.decide(db, settings, user, comment_id, data.action, data.reason.strip())
    return DecisionOut.model_validate(comment, from_attributes=True)


@router.post(
    "/users/{user_id}/ban",
    response_model=BanOut,
    status_code=201,
    summary="Ban a reader from a site, for good or for a time (a suspension)",
)
def ban(user_id: int, data: BanIn, user: CurrentUser, db: WriteSession) -> BanOut:
    row = service.ban(db, user, user_id, data.site, data.duration, data.reason.strip())
    return BanOut.model_validate(row, from_attributes=True)


@router.patch(
    "/stories/{story_id}",
    response_model=StoryAdminOut,
    summary="Open, premoderate or close a story; slow mode; its title and canonical URL",
)
def moderate_story(
    story_id: int, data: StoryModerationIn, user: CurrentUser, db: WriteSession
) -> StoryAdminOut:
    story = service.moderate_story(db, user, story_id, data)
    return StoryAdminOut.model_validate(story_admin(story))


@router.put(
    "/sites/{site}/roles/{user_id}",
    status_code=204,
    response_class=Response,
    summary="Give a person a role on a site, or take it away (the site's administrators)",
)
def set_role(
    site: str, user_id: int, data: RoleIn, user: CurrentUser, db: WriteSession
) -> Response:
    service.set_role(db, user, site, user_id, data.role)
    return Response(status_code=204)


@router.delete(
    "/users/{user_id}/ban",
    response_model=UnbanOut,
    summary="Lift a reader's ban or suspension on a site",
)
def unban(
    user_id: int,
    user: CurrentUser,
    db: WriteSession,
    site: Site = None,
    reason: Annotated[str, Query(max_length=500)] = "",
) -> UnbanOut:
    lifted = service.lift_ban(db, user, user_id, site, reason.strip())
    return UnbanOut(lifted=lifted)


@router.get(
    "/sites/{site}/settings",
    response_model=SiteSettingsOut,
    summary="A site's moderation settings (the site's administrators)",
)
def site_settings(site: str, user: CurrentUser, db: ReadSession, settings: SettingsDep) -> Any:
    return service.settings_of(db, settings, user, site)


@router.patch(
    "/sites/{site}/settings",
    response_model=SiteSettingsOut,
    summary="Change a site's moderation settings (those given; the site's administrators)",
)
def change_site_settings(
    site: str, data: SiteSettingsIn, user: CurrentUser, db: WriteSession, settings: SettingsDep
) -> Any:
    return service.change_settings(db, settings, user, site, data)


@router.get(
    "/dashboard",
    response_model=DashboardOut,
    summary="The desk's figures: comments per hour, held and rejected by reason, the queue",
)
def dashboard(user: CurrentUser, db: ReadSession, site: Site = None) -> Any:
    site_id = service.site_id_named(db, site)
    return stats.dashboard(db, user, site_id, utcnow())


@router.get("/audit", response_model=AuditOut, summary="The audit log, newest first")
def audit(
    user: CurrentUser,
    db: ReadSession,
    site: Site = None,
    action: Annotated[str | None, Query(max_length=32)] = None,
    actor: Annotated[
        str | None,
        Query(max_length=320, description="a person's id, handle or email; `system`: Rostra's own"),
    ] = None,
    actor_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    comment_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    q: Annotated[str | None, Query(max_length=200, description="words in the entry")] = None,
    since: Annotated[datetime | None, Query(description="entries at or after this time")] = None,
    until: Annotated[datetime | None, Query(description="entries before this time")] = None,
    before: Annotated[int | None, Query(ge=1, le=2**62, description="an entry id")] = None,
    after: Annotated[int | None, Query(ge=0, le=2**62, description="an entry id")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AuditOut:
    site_id = service.site_id_named(db, site)
    where = service.audit_filter(db, action, actor, actor_id, comment_id, q, since, until)
    page = service.audit_page(db, user, site_id, where, before, after, limit)
    return AuditOut.model_validate(page, from_attributes=True)
