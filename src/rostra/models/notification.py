from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rostra.db.base import Base, UTCDateTime, utcnow


class Notification(Base):
    """Something that happened to a reader: a reply, a like (batched: one
    unread row per comment counts its likers), a mention, a comment of a
    reader they follow, a moderator's decision on their comment."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_created", "user_id", "created_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    #: The latest reader who caused it (null for a moderator's decision).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    comment_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    #: How many readers it stands for (likes are batched).
    count: Mapped[int] = mapped_column(Integer, default=1)
    #: A moderator's action ("featured", "removed") and reason.
    action: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When a mail told of it (at once, or in a digest); null: not (yet) mailed.
    mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
