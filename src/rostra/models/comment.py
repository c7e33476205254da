from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column

from rostra.db.base import Base, UTCDateTime, utcnow


class CommentStatus(enum.StrEnum):
    PUBLISHED = "published"
    PENDING = "pending"  # held: waits for a moderator; only its author sees it
    REJECTED = "rejected"  # refused by a moderator; only its author sees it
    DELETED = "deleted"  # a placeholder kept because it has replies


class Comment(Base):
    """A comment or a reply. ``thread_id`` is the top-level comment's id, so a
    whole thread, at any depth, is one indexed read."""

    __tablename__ = "comments"
    __table_args__ = (
        Index("ix_comments_story_top_created", "story_id", "depth", "created_at", "id"),
        Index("ix_comments_story_top_likes", "story_id", "depth", "like_count", "id"),
        Index("ix_comments_thread_created", "thread_id", "created_at", "id"),
        # A reader's own comments in one story (the viewer overlay).
        Index("ix_comments_author_story", "author_id", "story_id", "id"),
        Index("ix_comments_status_created", "status", "created_at", "id"),
        # Each story's comments of the last minutes, for the surge check.
        Index("ix_comments_created_story", "created_at", "story_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    # Null only between insert and the flush that learns the row's own id.
    thread_id: Mapped[int | None] = mapped_column(Integer)
    depth: Mapped[int] = mapped_column(Integer, default=0)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    body: Mapped[str] = mapped_column(Text, default="")
    html: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=CommentStatus.PUBLISHED)
    like_count: Mapped[int] = mapped_column(Integer, default=0)
    # Published direct replies, for display; whether a deleted comment stays
    # as a placeholder is decided by whether any reply row exists.
    reply_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: An editor's pick: shown first, under "Editors' picks" (published only).
    is_featured: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: Which step decided the status ("moderator", "story_mode", "site_mode",
    #: "reports"…; null for an ordinary publication) and why, for the author
    #: and the desk.
    moderation_step: Mapped[str | None] = mapped_column(String(32))
    moderation_reason: Mapped[str | None] = mapped_column(String(500))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Readers' reports not yet answered by a decision (the Reported queue).
    report_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    #: The toxicity scorer's score when it was written (the desk shows it).
    toxicity: Mapped[float | None] = mapped_column(Float)
