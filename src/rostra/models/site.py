from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Integer, String, text, true
from sqlalchemy.orm import Mapped, mapped_column

from rostra.db.base import Base, UTCDateTime, utcnow


class Site(Base):
    """A publisher brand: the origins its article URLs live on, its SSO secret
    and its rules for posting."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    # Normalised origins, e.g. ["https://news.example", "https://www.news.example"].
    origins: Mapped[list[str]] = mapped_column(JSON, default=list)
    sso_secret: Mapped[str] = mapped_column(String(128))
    require_verified_email: Mapped[bool] = mapped_column(Boolean, default=False)
    # "post": comments appear at once (201); "pre": they wait for a moderator (202).
    moderation: Mapped[str] = mapped_column(String(8), default="post")
    # Whether stories' titles, canonical URLs and publication times are read
    # from the article pages (rostra.stories.metadata); off, only
    # administrators set titles.
    fetch_metadata: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    #: Reports from this many distinct readers hold a published comment.
    report_threshold: Mapped[int] = mapped_column(Integer, default=3, server_default=text("3"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
