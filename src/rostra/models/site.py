from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, Integer, String, text, true
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
    #: The moderation pipeline's word lists (rostra.moderation.words): a
    #: banned word rejects a comment, a suspect one holds it.
    banned_words: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    suspect_words: Mapped[list[str]] = mapped_column(
        JSON, default=list, server_default=text("'[]'")
    )
    #: Toxicity scores from which the author is asked to rephrase, and from
    #: which the comment is held (defaults chosen in rostra.moderation.pipeline).
    nudge_threshold: Mapped[float] = mapped_column(Float, default=0.2, server_default=text("0.2"))
    hold_threshold: Mapped[float] = mapped_column(Float, default=0.3, server_default=text("0.3"))
    #: A reader's first this many comments on the site are held (0: none).
    new_reader_holds: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
