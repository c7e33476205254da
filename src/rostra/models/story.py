from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rostra.db.base import Base, UTCDateTime, utcnow
from rostra.models.site import Site


class Story(Base):
    """One article, found by its normalised URL; created on first comment."""

    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    title: Mapped[str] = mapped_column(String(500), default="")
    # Who gave the title (rostra.stories.service): "client" (a placeholder sent
    # with a comment, or none yet), "page" (read from the article's own page),
    # "editor" (an administrator's, which the page never overrides).
    title_source: Mapped[str] = mapped_column(
        String(8), default="client", server_default=text("'client'")
    )
    # From the page's <link rel=canonical> (on the site's origins), or an editor's.
    canonical_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    # "page" or "editor"; None while there is no canonical URL.
    canonical_source: Mapped[str | None] = mapped_column(String(8), default=None)
    # The page's article:published_time, in UTC.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # The last fetch of the page that answered, and the last failure (None
    # once a fetch succeeds).
    metadata_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    metadata_error: Mapped[str | None] = mapped_column(String(500), default=None)
    is_closed: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Every new comment waits for a moderator (the story's "premoderated" mode).
    premoderated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: At most one comment per reader per this many seconds (0: off).
    slow_mode_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # Published comments, kept in step by the comment service in the same
    # transaction, so counts for a listing page are one indexed read.
    comment_count: Mapped[int] = mapped_column(Integer, default=0)
    #: Close this many days after ``published_at`` (None: the site's; 0: never).
    auto_close_days: Mapped[int | None] = mapped_column(Integer, default=None)
    #: Set while the story surges (rostra.desk.surge): since when, the rate
    #: (comments a minute) that started it, and what the surge changed, to
    #: put back when the rate falls ({"premoderated": ..., "slow_mode_seconds": ...}).
    surge_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    surge_rate: Mapped[float | None] = mapped_column(Float, default=None)
    surge_undo: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    site: Mapped[Site] = relationship(lazy="raise")
