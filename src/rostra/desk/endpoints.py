"""The Moderation API (under /api/v1/moderation): queues, decisions, bans,
story controls, roles and the audit log. Moderators and the site's
administrators only; every call checks the role on the site concerned."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from rostra.comments import moderate, views
from rostra.desk import service
from rostra.desk.schemas import (
    AuditOut,
    BanIn,
    BanOut,
    DecisionIn,
    DecisionOut,
    Queue,
    QueueOut,
    RoleIn,
    StoryModerationIn,
)
from rostra.http.deps import CurrentUser, ReadSession, SettingsDep, WriteSession
from rostra.moderation import service as moderation
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


@router.get("/audit", response_model=AuditOut, summary="The audit log, newest first")
def audit(
    user: CurrentUser,
    db: ReadSession,
    site: Site = None,
    action: Annotated[str | None, Query(max_length=32)] = None,
    actor_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    comment_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AuditOut:
    target = ("comment", comment_id) if comment_id is not None else None
    site_id = service.site_id_named(db, site)
    rows = moderation.audit(db, user, site_id, action, actor_id, target, before, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditOut.model_validate(
        {"entries": rows, "next_before": rows[-1].id if more else None}, from_attributes=True
    )
