"""JSON routes of follows, blocks, profiles and the feed (under /api/v1)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from rostra.http.deps import (
    CurrentUser,
    OptionalUser,
    RateLimits,
    ReadSession,
    SettingsDep,
    WriteSession,
)
from rostra.social import notify, service
from rostra.social.schemas import (
    BlockOut,
    FeedPage,
    FollowOut,
    MarkReadIn,
    NotificationsPage,
    PeopleOut,
    ProfileOut,
    UnreadOut,
)

router = APIRouter(tags=["social"])
HandlePath = Annotated[str, Path(max_length=64)]


def _limit(limits: RateLimits, user_id: int) -> None:
    limits.enforce("follow", f"user:{user_id}", limits.address)


@router.get("/users", response_model=PeopleOut, summary="Readers by the start of their handle")
def people(
    user: CurrentUser,
    db: ReadSession,
    limits: RateLimits,
    prefix: Annotated[
        str, Query(min_length=1, max_length=31, description="what follows the @ typed so far")
    ],
    limit: Annotated[int, Query(ge=1, le=20)] = 8,
) -> PeopleOut:
    """For @mention completion in the comment box."""
    limits.enforce("read_social", f"user:{user.id}", limits.address)
    return PeopleOut.model_validate({"users": service.mention_candidates(db, user, prefix, limit)})


@router.get("/users/{handle}", response_model=ProfileOut, summary="A reader's profile")
def profile(
    handle: HandlePath,
    db: ReadSession,
    settings: SettingsDep,
    viewer: OptionalUser,
    limits: RateLimits,
) -> Any:
    limits.enforce("read_social", limits.address)
    return service.profile(db, settings, viewer, handle)


def _follow_out(db: Any, user: Any, them: Any) -> FollowOut:
    rel = service.relation(db, user, them)
    return FollowOut(following=rel.following, follower_count=rel.follower_count)


@router.put("/users/{handle}/follow", response_model=FollowOut, summary="Follow a reader")
def follow(
    handle: HandlePath, user: CurrentUser, db: WriteSession, limits: RateLimits
) -> FollowOut:
    _limit(limits, user.id)
    return _follow_out(db, user, service.follow(db, user, handle))


@router.delete("/users/{handle}/follow", response_model=FollowOut, summary="Stop following")
def unfollow(
    handle: HandlePath, user: CurrentUser, db: WriteSession, limits: RateLimits
) -> FollowOut:
    _limit(limits, user.id)
    return _follow_out(db, user, service.unfollow(db, user, handle))


@router.put("/users/{handle}/block", response_model=BlockOut, summary="Block a reader")
def block(handle: HandlePath, user: CurrentUser, db: WriteSession, limits: RateLimits) -> BlockOut:
    _limit(limits, user.id)
    service.block(db, user, handle)
    return BlockOut(blocked=True)


@router.delete("/users/{handle}/block", response_model=BlockOut, summary="Unblock a reader")
def unblock(
    handle: HandlePath, user: CurrentUser, db: WriteSession, limits: RateLimits
) -> BlockOut:
    _limit(limits, user.id)
    service.unblock(db, user, handle)
    return BlockOut(blocked=False)


@router.get("/feed", response_model=FeedPage, summary="Newest comments of the readers you follow")
def feed(
    user: CurrentUser,
    db: ReadSession,
    settings: SettingsDep,
    limits: RateLimits,
    url: Annotated[
        str | None, Query(max_length=4096, description="an article: only its site's comments")
    ] = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Any:
    limits.enforce("read_social", f"user:{user.id}", limits.address)
    return service.feed(db, settings, user, url, cursor, limit)


@router.get(
    "/notifications", response_model=NotificationsPage, summary="Your notifications, newest first"
)
def notifications(
    user: CurrentUser,
    db: ReadSession,
    settings: SettingsDep,
    limits: RateLimits,
    unread: bool = False,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Any:
    limits.enforce("read_social", f"user:{user.id}", limits.address)
    return notify.listing(db, settings, user, cursor, limit, unread)


@router.post("/notifications/read", response_model=UnreadOut, summary="Mark notifications read")
def mark_read(
    body: MarkReadIn, user: CurrentUser, db: WriteSession, limits: RateLimits
) -> UnreadOut:
    limits.enforce("settings", f"user:{user.id}", limits.address)
    return UnreadOut(unread_count=notify.mark_read(db, user, None if body.all else body.ids))
