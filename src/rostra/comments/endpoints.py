"""JSON routes for comments, replies and likes (under /api/v1).

Writes go through the request's unit of work: it commits before the answer
is sent, then the story's cached pages are retired and the job runner woken
(commit hooks, see ``rostra.app``). Posting, the hot write, hands its unit
to the app's writer (``Writes``, ``rostra.db.writes``), which on SQLite
commits concurrent posts together; the others use ``WriteSession``. Reads answer pre-encoded
JSON (the documented models still describe them in /openapi.json).
"""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Header, Path, Query, Request, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import Headers, QueryParams

from rostra.comments import idempotency, locate, moderate, overlays, service, threads, views
from rostra.comments.schemas import (
    CommentContextOut,
    CommentEditIn,
    CommentIn,
    CommentOut,
    CommentPage,
    LikeOut,
    RepliesPage,
    ReportIn,
    ReportOut,
    Sort,
)
from rostra.config import Settings
from rostra.db.base import utcnow
from rostra.db.session import savepoint
from rostra.http import conditional
from rostra.http.deps import (
    Authenticator,
    CurrentUser,
    RateLimits,
    Reader,
    ReadSession,
    SettingsDep,
    StateDep,
    Writes,
    WriteSession,
)
from rostra.http.front import FrontHandler, SignedInHandler, one, small_int
from rostra.models import Comment, CommentStatus, User
from rostra.moderation.errors import RephraseSuggested
from rostra.stories.cache import StoryPages
from rostra.text import check_text

router = APIRouter(tags=["comments"])


def _json(body: bytes, status_code: int = 200) -> Response:
    return Response(body, status_code=status_code, media_type="application/json")


def _own_view(
    settings: Settings, user: User, comment: Comment, window: int | None = None,
    staff: bool = False,
) -> bytes:  # fmt: skip
    """The author's view; ``window``: the site's edit window (the server's if None)."""
    edit_window = settings.edit_window_seconds if window is None else window
    return views.encode(views.own(comment, user, utcnow(), edit_window, staff))


@router.get(
    "/comments", response_model=CommentPage, summary="A story and a page of its comment threads"
)
def list_comments(
    request: Request,
    state: StateDep,
    db: ReadSession,
    viewer: Reader,
    url: Annotated[str, Query(max_length=4096, description="the article URL")],
    sort: Sort = "newest",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    settings = state.settings
    pages = StoryPages(state.backends.cache)
    story_id, shared = threads.cached_page(db, settings, pages, url, sort, limit, cursor)
    if viewer is None:
        return conditional.cacheable(request.headers, shared.body, shared.etag, shared.gzipped)
    lay = overlays.Overlays(state.backends.cache).cached(db, settings, pages, story_id, viewer)
    return conditional.private_page(shared.body, shared.etag, lay, request.headers)


def _first_page(query: QueryParams) -> tuple[str, str, int] | None:
    """The url, sort and limit of a plain first-page request, or None."""
    url = one(query, "url")
    sort = one(query, "sort", "newest")
    limit = small_int(one(query, "limit", "20"), 1, 100)
    if url is None or len(url) > 4096 or limit is None or "cursor" in query:
        return None
    if sort not in ("newest", "oldest", "top"):
        return None
    return url, sort, limit


def front(pages: StoryPages) -> FrontHandler:
    """``GET /comments`` for an anonymous reader's warm first page, from the
    cache alone (``rostra.http.front``); anything else goes to the route."""

    def answer(query: QueryParams, headers: Headers) -> Response | None:
        asked = _first_page(query)
        shared = threads.warm_page(pages, *asked) if asked is not None else None
        if shared is None:
            return None
        return conditional.cacheable(headers, shared.body, shared.etag, shared.gzipped)

    return answer


def front_signed_in(
    pages: StoryPages,
    sessions: sessionmaker[Session],
    settings: Settings,
    reader: Authenticator,
) -> SignedInHandler:
    """``GET /comments`` for a signed-in reader's first page, when the shared
    page is warm: that page with the reader's overlay (from the overlay
    cache, else one query: ``overlays.Overlays.cached``), the token's user
    from ``reader`` (the sign-in cache). As ``list_comments`` answers,
    without routing or dependencies; anything else (a cold page, a token that
    finds nobody) goes to the route, which answers it in full. Reads the
    database: run it off the event loop (``front_signed_in_warm`` first)."""
    kept = overlays.Overlays(pages.cache)

    def answer(query: QueryParams, headers: Headers, token: str) -> Response | None:
        asked = _first_page(query)
        warm = threads.warm_story_page(pages, *asked) if asked is not None else None
        if warm is None:
            return None
        story_id, shared = warm
        with sessions() as db:
            viewer = reader(db, token)
            if viewer is None:
                return None
            lay = kept.cached(db, settings, pages, story_id, viewer)
        return conditional.private_page(shared.body, shared.etag, lay, headers)

    return answer


def front_signed_in_warm(pages: StoryPages) -> SignedInHandler:
    """``front_signed_in`` from the cache alone, when it holds the shared
    page, the token's sign-in and the reader's overlay, all current
    (``overlays.warm_first_page``): no database, no session, no model. None
    for anything else (``front_signed_in`` then answers it)."""

    def answer(query: QueryParams, headers: Headers, token: str) -> Response | None:
        asked = _first_page(query)
        if asked is None:
            return None
        return overlays.warm_first_page(pages.cache, *asked, token, headers)

    return answer


@router.get(
    "/comments/{comment_id}/replies",
    response_model=RepliesPage,
    summary="More replies of a thread, oldest first, flat",
)
def list_replies(
    comment_id: int,
    db: ReadSession,
    settings: SettingsDep,
    viewer: Reader,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> Response:
    data = threads.replies(db, settings, comment_id, cursor, limit, viewer)
    return _json(views.encode(data))


@router.get(
    "/comments/{comment_id}/context",
    response_model=CommentContextOut,
    summary="Which story and thread a comment is in (for a deep link to it)",
)
def comment_context(
    comment_id: Annotated[int, Path(ge=1, lt=2**62)],
    db: ReadSession,
    viewer: Reader,
    limits: RateLimits,
) -> CommentContextOut:
    limits.enforce("read_social", limits.address)
    return CommentContextOut(**locate.context(db, comment_id, viewer.id if viewer else None))


@router.post(
    "/comments",
    status_code=201,
    response_model=CommentOut,
    summary="Post a comment or a reply",
    responses={202: {"model": CommentOut, "description": "Accepted, pending a moderator"}},
)
async def post_comment(
    data: CommentIn,
    user: CurrentUser,
    reading: ReadSession,
    writes: Writes,
    settings: SettingsDep,
    state: StateDep,
    limits: RateLimits,
    idempotency_key: Annotated[str | None, Header(alias=idempotency.HEADER)] = None,
) -> Response:
    key = idempotency.check_key(idempotency_key) if idempotency_key is not None else None
    digest = idempotency.request_hash(data) if key else ""
    nudges = moderate.Nudges(state.backends.cache)

    def check() -> Response | service.Draft:
        # Everything that may refuse the post, on the reading session and
        # before any write: a refused post never takes SQLite's write lock.
        try:
            if key and (answer := idempotency.replay(reading, user.id, key, digest)):
                return answer  # a retry is not a new attempt: no rate limit, no post
            limits.enforce("post", f"user:{user.id}", limits.address)
            return _prepare(reading, settings, nudges, user, data)
        finally:
            # Let the read snapshot go now, not after the write: on SQLite a
            # snapshot held open keeps the WAL from being checkpointed.
            reading.close()

    checked = await anyio.to_thread.run_sync(check)
    if isinstance(checked, Response):
        return checked
    draft = checked

    def write(db: Session) -> Response:
        if not key:
            return _posted(db, settings, user, draft)
        try:
            with savepoint(db):
                answer = _posted(db, settings, user, draft)
                idempotency.remember(
                    db, user.id, key, digest, answer.status_code, bytes(answer.body)
                )
        except IntegrityError:
            # A concurrent request with this key was written first: ours is
            # undone, and we answer what it answered.
            replayed = idempotency.replay(db, user.id, key, digest)
            if replayed is None:
                raise
            return replayed
        return answer

    return await writes.run(write)


def _prepare(
    db: Session, settings: Settings, nudges: moderate.Nudges, user: User, data: CommentIn
) -> service.Draft:
    """``service.prepare``, asking the author once to rephrase: the same text
    sent again after a ``rephrase_suggested`` posts as confirmed."""
    if not data.confirmed and nudges.asked(user.id, data.body):
        data = data.model_copy(update={"confirmed": True})
    try:
        return service.prepare(db, settings, user, data)
    except RephraseSuggested:
        nudges.remember(user.id, data.body)
        raise


def _posted(db: Session, settings: Settings, user: User, draft: service.Draft) -> Response:
    comment = service.create(db, user, draft)
    # 202: accepted but not published (held, or rejected by a word list).
    status_code = 201 if comment.status == CommentStatus.PUBLISHED else 202
    return _json(_own_view(settings, user, comment, draft.edit_window, draft.staff), status_code)


@router.patch(
    "/comments/{comment_id}",
    response_model=CommentOut,
    summary="Edit your comment within the edit window",
)
def edit_comment(
    comment_id: int,
    data: CommentEditIn,
    user: CurrentUser,
    db: WriteSession,
    settings: SettingsDep,
    limits: RateLimits,
) -> Response:
    limits.enforce("post", f"user:{user.id}", limits.address)
    comment = service.edit(db, settings, user, comment_id, data.body)
    site = service.site_of(db, comment)
    window = service.edit_window(settings, site)
    staff = site is not None and service.wears_badge(db, user.id, site.id)
    return _json(_own_view(settings, user, comment, window, staff))


@router.delete(
    "/comments/{comment_id}",
    status_code=204,
    response_class=Response,
    summary="Delete your comment",
)
def delete_comment(comment_id: int, user: CurrentUser, db: WriteSession) -> Response:
    service.delete(db, user, comment_id)
    return Response(status_code=204)


def _like(
    db: WriteSession, limits: RateLimits, user: User, comment_id: int, liked: bool
) -> LikeOut:
    # Likes and unlikes share one allowance: toggling is what a script would do.
    limits.enforce("like", f"user:{user.id}", limits.address)
    like_count, _ = service.set_like(db, user, comment_id, liked)
    return LikeOut(liked=liked, like_count=like_count)


@router.put(
    "/comments/{comment_id}/reactions/like",
    response_model=LikeOut,
    summary="Like a comment (idempotent)",
)
def like(comment_id: int, user: CurrentUser, db: WriteSession, limits: RateLimits) -> LikeOut:
    return _like(db, limits, user, comment_id, True)


@router.delete(
    "/comments/{comment_id}/reactions/like",
    response_model=LikeOut,
    summary="Unlike a comment (idempotent)",
)
def unlike(comment_id: int, user: CurrentUser, db: WriteSession, limits: RateLimits) -> LikeOut:
    return _like(db, limits, user, comment_id, False)


@router.post(
    "/comments/{comment_id}/reports",
    response_model=ReportOut,
    status_code=201,
    summary="Report a comment to the site's moderators (once per reader)",
)
def report(
    comment_id: int,
    data: ReportIn,
    user: CurrentUser,
    db: WriteSession,
    settings: SettingsDep,
    limits: RateLimits,
) -> ReportOut:
    limits.enforce("report", f"user:{user.id}", limits.address)
    note = data.note.strip()
    check_text(note, "note")
    moderate.report(db, settings, user, comment_id, data.reason, note)
    return ReportOut(reported=True)
