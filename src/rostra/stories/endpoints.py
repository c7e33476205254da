"""JSON routes for stories (under /api/v1): comment counts for listing
pages; administrators close, retitle and have a story's page read again."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from starlette.datastructures import Headers, QueryParams

from rostra.backends.cache import AsyncReads
from rostra.errors import Invalid
from rostra.http import conditional
from rostra.http.deps import AdminUser, ReadSession, StateDep, WriteSession
from rostra.http.front import Kept
from rostra.stories import service
from rostra.stories.cache import CountsVersions, StoryPages
from rostra.stories.schemas import CountsOut, StoryAdminOut, StoryPatchIn
from rostra.stories.views import story_admin

router = APIRouter(tags=["stories"])

MAX_COUNT_URLS = 100


@router.get(
    "/stories/{story_id}",
    response_model=StoryAdminOut,
    summary="A story and where its title came from (administrators)",
)
def get_story(story_id: int, db: ReadSession, _: AdminUser) -> StoryAdminOut:
    return StoryAdminOut.model_validate(story_admin(service.get(db, story_id)))


@router.patch(
    "/stories/{story_id}",
    response_model=StoryAdminOut,
    summary="Close or reopen a story's comments, or set its title or canonical URL "
    "(administrators)",
)
def patch_story(story_id: int, data: StoryPatchIn, db: WriteSession, _: AdminUser) -> StoryAdminOut:
    story = service.patch(db, story_id, data)
    return StoryAdminOut.model_validate(story_admin(story))


@router.post(
    "/stories/{story_id}/fetch-metadata",
    response_model=StoryAdminOut,
    status_code=202,
    summary="Read the story's title and canonical URL from its page again (administrators)",
    responses={409: {"description": "metadata_fetch_off: the story's site does not fetch"}},
)
def fetch_story_metadata(story_id: int, db: WriteSession, _: AdminUser) -> StoryAdminOut:
    """The page is read by a background job, soon after this answer."""
    story = service.request_metadata(db, story_id)
    return StoryAdminOut.model_validate(story_admin(story))


@router.get(
    "/counts",
    response_model=CountsOut,
    summary="Published comment counts for up to 100 article URLs",
)
def counts(
    request: Request,
    url: Annotated[list[str], Query(description="an article URL; repeat for more")],
    db: ReadSession,
    state: StateDep,
) -> Response:
    if not 1 <= len(url) <= MAX_COUNT_URLS:
        raise Invalid(f"Send 1 to {MAX_COUNT_URLS} 'url' parameters.", field="url")
    answer = service.counts(db, url, StoryPages(state.backends.cache))
    return _counts_answer(request.headers, answer)


def _counts_answer(headers: Headers, answer: dict[str, int | None]) -> Response:
    body = service.encode_counts(answer)
    etag = conditional.etag_of(body)
    return conditional.cacheable(headers, body, etag, None, conditional.PUBLIC_COUNTS)


def front(pages: StoryPages) -> Kept:
    """``GET /counts`` when the cache knows every URL (``rostra.http.front``),
    kept per query string while the generations of its stories (and of
    URLs without one) stand; anything else goes to the route."""
    versions = CountsVersions(pages.cache)

    def answer(
        query_string: bytes, query: QueryParams, headers: Headers
    ) -> tuple[Response, Hashable] | None:
        urls = query.getlist("url")
        if not 1 <= len(urls) <= MAX_COUNT_URLS:
            return None
        found = service.warm_counts(pages, urls)
        if found is None:
            return None
        counts, generations = found
        response = _counts_answer(headers, counts)
        etag = response.headers["etag"]
        return response, versions.remember(query_string, generations, etag)

    checks_async = isinstance(pages.cache, AsyncReads)
    return Kept(
        version=versions.current,
        answer=answer,
        version_async=versions.current_async if checks_async else None,
    )
