"""Request and response bodies for stories."""

from __future__ import annotations

from pydantic import BaseModel, Field

from rostra.http.schemas import StrictModel


class StoryOut(BaseModel):
    id: int | None = Field(description="null while the article has no comments yet")
    url: str = Field(description="the normalised article URL")
    title: str
    comment_count: int
    is_closed: bool


class StoryPatchIn(StrictModel):
    is_closed: bool | None = None
    title: str | None = Field(default=None, max_length=500)


class CountsOut(BaseModel):
    counts: dict[str, int | None] = Field(
        description="keyed by each URL exactly as sent: the published comment count (0 "
        "for an article with no comments yet), or null for a URL that is not an article "
        "URL (not an absolute http(s) URL, or on no configured site)"
    )
