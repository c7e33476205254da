from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, Integer, String, text, true
from sqlalchemy.orm import Mapped, mapped_column

from rostra.db.base import Base, UTCDateTime, utcnow

DEFAULT_REJECTION_REASONS = (
    "Abuse or harassment",
    "Spam",
    "Off-topic",
    "Misinformation",
    "Personal details",
)
_REASONS_SQL = "'[" + ", ".join(f'"{r}"' for r in DEFAULT_REJECTION_REASONS) + "]'"


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
    #: How long an author may edit a comment (None: ROSTRA_EDIT_WINDOW_SECONDS).
    edit_window_seconds: Mapped[int | None] = mapped_column(Integer, default=None)
    #: The reasons a moderator picks from when rejecting (free text besides).
    rejection_reasons: Mapped[list[str]] = mapped_column(
        JSON,
        default=lambda: list(DEFAULT_REJECTION_REASONS),
        server_default=text(_REASONS_SQL),
    )
    #: A story drawing this many comments a minute (over a sliding window,
    #: rostra.desk.surge) is surging (0: never); the desk is told, and
    #: ``surge_action`` says what else happens: "premoderate", "slow_mode"
    #: (``surge_slow_mode_seconds``) or "flag_only".
    surge_threshold: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    surge_action: Mapped[str] = mapped_column(
        String(16), default="flag_only", server_default=text("'flag_only'")
    )
    surge_slow_mode_seconds: Mapped[int] = mapped_column(
        Integer, default=60, server_default=text("60")
    )
    #: Stories close this many days after their publication (0: never);
    #: a story may set its own.
    auto_close_days: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
