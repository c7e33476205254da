"""Request and response bodies for stories."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from rostra.http.schemas import StrictModel


class StoryOut(BaseModel):
    id: int | None = Field(description="null while the article has no comments yet")
    url: str = Field(description="the normalised article URL")
    canonical_url: str | None = Field(
        description="the article's canonical URL, from its page's <link rel=canonical> "
        "(or an editor); null until known"
    )
    title: str = Field(
        description="from the article's page (og:title, else <title>) or an editor; "
        "until the page is read, the title sent with the first comment; may be empty"
    )
    published_at: datetime | None = Field(
        description="the article's publication time (its page's article:published_time), UTC"
    )
    comment_count: int
    is_closed: bool


class StoryAdminOut(StoryOut):
    """What administrators see of a story: where its metadata came from."""

    title_source: Literal["client", "page", "editor"] = Field(
        description="who gave the title: a client's placeholder, the article's page, an editor"
    )
    canonical_source: Literal["page", "editor"] | None
    metadata_fetched_at: datetime | None = Field(
        description="when the article's page last answered a fetch"
    )
    metadata_error: str | None = Field(
        description="why the last fetch of the page failed (null after a good one)"
    )
    premoderated: bool = Field(default=False, description="every new comment is held for review")
    slow_mode_seconds: int = Field(
        default=0, description="one comment per reader per this many seconds (0: off)"
    )
    auto_close_days: int | None = Field(
        default=None,
        description="closes this many days after publication (0: never; null: the site's)",
    )
    surge_started_at: datetime | None = Field(
        default=None, description="set while the story surges: since when"
    )
    surge_rate: float | None = Field(
        default=None, description="comments a minute when the surge began"
    )


class StoryPatchIn(StrictModel):
    is_closed: bool | None = None
    title: str | None = Field(
        default=None,
        max_length=500,
        description="an editor's title, which the page's never replaces; "
        '"" gives the title back to the page (fetched again)',
    )
    canonical_url: str | None = Field(
        default=None,
        max_length=2048,
        description="an editor's canonical URL, on the story's site; "
        '"" gives it back to the page (fetched again)',
    )


class CountsOut(BaseModel):
    counts: dict[str, int | None] = Field(
        description="keyed by each URL exactly as sent: the published comment count (0 "
        "for an article with no comments yet), or null for a URL that is not an article "
        "URL (not an absolute http(s) URL, or on no configured site)"
    )
