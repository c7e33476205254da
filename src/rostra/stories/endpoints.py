"""JSON routes for stories (under /api/v1): administrators close and retitle."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from rostra.accounts.deps import admin_user
from rostra.comments import cache
from rostra.comments.views import story as story_view
from rostra.db.session import get_db
from rostra.models import User
from rostra.stories import service
from rostra.stories.schemas import StoryOut, StoryPatchIn

router = APIRouter(tags=["stories"])


@router.patch(
    "/stories/{story_id}",
    response_model=StoryOut,
    summary="Close or reopen a story's comments, or retitle it (administrators)",
)
def patch_story(
    story_id: int,
    data: StoryPatchIn,
    request: Request,
    db: Session = Depends(get_db),
    admin: User = Depends(admin_user),
) -> StoryOut:
    story = service.patch(db, story_id, data)
    out = StoryOut.model_validate(story_view(story))
    db.commit()
    cache.bump(request.app, story.id)  # is_closed and the title are on cached pages
    return out
