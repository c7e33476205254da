from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
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
    is_closed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Published comments, kept in step by the comment service in the same
    # transaction, so counts for a listing page are one indexed read.
    comment_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    site: Mapped[Site] = relationship(lazy="raise")
