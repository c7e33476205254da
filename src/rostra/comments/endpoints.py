"""JSON routes for comments, replies, likes and counts (under /api/v1).

Writes commit before they answer, then retire the story's cached pages and
wake the job runner. Reads answer pre-encoded JSON (the documented models
still describe them in /openapi.json).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rostra.accounts.deps import current_user, optional_user
from rostra.accounts.ratelimit import by_address, enforce
from rostra.comments import cache, idempotency, service, threads, views
from rostra.comments.schemas import (
    CommentEditIn,
    CommentIn,
    CommentOut,
    CommentPage,
    CountsOut,
    LikeOut,
    RepliesPage,
    Sort,
)
from rostra.config import Settings
from rostra.db.base import utcnow
from rostra.db.session import get_db
from rostra.errors import Invalid
from rostra.jobs.runner import wake_runner
from rostra.models import Comment, CommentStatus, User
from rostra.stories import repository as stories
from rostra.stories.urls import normalise

router = APIRouter(tags=["comments"])

MAX_COUNT_URLS = 100


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _json(body: bytes, status_code: int = 200) -> Response:
    return Response(body, status_code=status_code, media_type="application/json")


def _written(request: Request, story_id: int) -> None:
    """After a commit: drop the story's cached pages, run its outbox events."""
    cache.bump(request.app, story_id)
    wake_runner(request.app.state)


def _own_view(settings: Settings, user: User, comment: Comment) -> bytes:
    show = views.Presenter(user.id, {user.id: user}, set(), utcnow(), settings.edit_window_seconds)
    return views.encode(show.comment(comment))


@router.get(
    "/comments", response_model=CommentPage, summary="A story and a page of its comment threads"
)
def list_comments(
    request: Request,
    url: Annotated[str, Query(max_length=4096, description="the article URL")],
    sort: Sort = "newest",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    db: Session = Depends(get_db),
    viewer: User | None = Depends(optional_user),
) -> Response:
    settings = _settings(request)
    if viewer is not None or cursor is not None:
        # Viewer-dependent (is_mine, liked, own pending) or deep: not cached.
        return _json(views.encode(threads.page(db, settings, url, sort, limit, cursor, viewer)))
    normalised = normalise(url)
    story_id = cache.story_id(request.app, normalised)
    if story_id is None:
        story_id = stories.id_by_url(db, normalised)
        if story_id is None:
            return _json(views.encode(threads.page(db, settings, url, sort, limit, None, None)))
        cache.remember_story_id(request.app, normalised, story_id)
    key = cache.page_key(request.app, story_id, sort, limit)  # before reading the rows
    body = cache.get(request.app, key) if key else None
    if body is None:
        # End the read transaction that found the id: the page must come from
        # a snapshot taken after the generation was read (see comments.cache).
        db.rollback()
        body = views.encode(threads.page(db, settings, url, sort, limit, None, None))
        if key:
            cache.put(request.app, key, body)
    return _json(body)


@router.get(
    "/comments/{comment_id}/replies",
    response_model=RepliesPage,
    summary="More replies of a thread, oldest first, flat",
)
def list_replies(
    request: Request,
    comment_id: int,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    db: Session = Depends(get_db),
    viewer: User | None = Depends(optional_user),
) -> Response:
    data = threads.replies(db, _settings(request), comment_id, cursor, limit, viewer)
    return _json(views.encode(data))


@router.post(
    "/comments",
    status_code=201,
    response_model=CommentOut,
    summary="Post a comment or a reply",
    responses={202: {"model": CommentOut, "description": "Accepted, pending a moderator"}},
)
def post_comment(
    data: CommentIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(current_user),
    idempotency_key: Annotated[str | None, Header(alias=idempotency.HEADER)] = None,
) -> Response:
    settings = _settings(request)
    key = idempotency.check_key(idempotency_key) if idempotency_key is not None else None
    digest = idempotency.request_hash(data) if key else ""
    if key and (answer := idempotency.replay(db, user.id, key, digest)):
        return answer  # a retry is not a new attempt: no rate limit, no post
    enforce(request, "post", f"user:{user.id}", by_address(request))
    comment = service.create(db, settings, user, data)
    status_code = 202 if comment.status == CommentStatus.PENDING else 201
    body = _own_view(settings, user, comment)
    if key:
        try:
            idempotency.remember(db, user.id, key, digest, status_code, body)
        except IntegrityError:
            # A concurrent request with this key committed first: undo ours
            # and answer what it answered.
            db.rollback()
            answer = idempotency.replay(db, user.id, key, digest)
            if answer is None:
                raise
            return answer
    db.commit()
    _written(request, comment.story_id)
    return _json(body, status_code)


@router.patch(
    "/comments/{comment_id}",
    response_model=CommentOut,
    summary="Edit your comment within the edit window",
)
def edit_comment(
    comment_id: int,
    data: CommentEditIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(current_user),
) -> Response:
    settings = _settings(request)
    enforce(request, "post", f"user:{user.id}", by_address(request))
    comment = service.edit(db, settings, user, comment_id, data.body)
    body = _own_view(settings, user, comment)
    db.commit()
    _written(request, comment.story_id)
    return _json(body)


@router.delete(
    "/comments/{comment_id}",
    status_code=204,
    response_class=Response,
    summary="Delete your comment",
)
def delete_comment(
    comment_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(current_user),
) -> Response:
    story_id = service.delete(db, user, comment_id)
    db.commit()
    _written(request, story_id)
    return Response(status_code=204)


def _like(request: Request, db: Session, user: User, comment_id: int, liked: bool) -> LikeOut:
    # Likes and unlikes share one allowance: toggling is what a script would do.
    enforce(request, "like", f"user:{user.id}", by_address(request))
    like_count, story_id = service.set_like(db, user, comment_id, liked)
    db.commit()
    _written(request, story_id)  # like counts and "top" order are on cached pages
    return LikeOut(liked=liked, like_count=like_count)


@router.put(
    "/comments/{comment_id}/reactions/like",
    response_model=LikeOut,
    summary="Like a comment (idempotent)",
)
def like(
    comment_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(current_user),
) -> LikeOut:
    return _like(request, db, user, comment_id, True)


@router.delete(
    "/comments/{comment_id}/reactions/like",
    response_model=LikeOut,
    summary="Unlike a comment (idempotent)",
)
def unlike(
    comment_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(current_user),
) -> LikeOut:
    return _like(request, db, user, comment_id, False)


@router.get(
    "/counts",
    response_model=CountsOut,
    summary="Published comment counts for up to 100 article URLs",
)
def counts(
    response: Response,
    url: Annotated[list[str], Query(description="an article URL; repeat for more")],
    db: Session = Depends(get_db),
) -> CountsOut:
    if not 1 <= len(url) <= MAX_COUNT_URLS:
        raise Invalid(f"Send 1 to {MAX_COUNT_URLS} 'url' parameters.", field="url")
    normalised: dict[str, str] = {}
    for given in url:
        try:
            normalised[given] = normalise(given)
        except Invalid:
            continue  # one bad link on a listing page must not hide the others' counts
    found = stories.counts(db, normalised.values())
    response.headers["Cache-Control"] = "public, max-age=30"
    return CountsOut(counts={given: found.get(normalised.get(given, ""), 0) for given in url})
