"""JSON routes for stories (under /api/v1): comment counts for listing
pages; administrators close and retitle."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from rostra.errors import Invalid
from rostra.http.deps import AdminUser, ReadSession, WriteSession
from rostra.stories import service
from rostra.stories.schemas import CountsOut, StoryOut, StoryPatchIn
from rostra.stories.views import story as story_view

router = APIRouter(tags=["stories"])

MAX_COUNT_URLS = 100


@router.patch(
    "/stories/{story_id}",
    response_model=StoryOut,
    summary="Close or reopen a story's comments, or retitle it (administrators)",
)
def patch_story(story_id: int, data: StoryPatchIn, db: WriteSession, _: AdminUser) -> StoryOut:
    story = service.patch(db, story_id, data)
    return StoryOut.model_validate(story_view(story))


@router.get(
    "/counts",
    response_model=CountsOut,
    summary="Published comment counts for up to 100 article URLs",
)
def counts(
    response: Response,
    url: Annotated[list[str], Query(description="an article URL; repeat for more")],
    db: ReadSession,
) -> CountsOut:
    if not 1 <= len(url) <= MAX_COUNT_URLS:
        raise Invalid(f"Send 1 to {MAX_COUNT_URLS} 'url' parameters.", field="url")
    response.headers["Cache-Control"] = "public, max-age=30"
    return CountsOut(counts=service.counts(db, url))
