from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column

from rostra.db.base import Base, UTCDateTime, utcnow


class User(Base):
    """A reader. Local accounts have a password; SSO accounts belong to one
    site and are found by (sso_site_id, sso_subject)."""

    __tablename__ = "users"
    __table_args__ = (
        # A local account owns its (lower-cased) address; SSO users of different
        # sites may carry the same address without clashing with it.
        Index(
            "uq_users_local_email",
            "email",
            unique=True,
            sqlite_where=text("sso_site_id IS NULL"),
            postgresql_where=text("sso_site_id IS NULL"),
        ),
        UniqueConstraint("sso_site_id", "sso_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320))
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    password_hash: Mapped[str | None] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(80))
    avatar_url: Mapped[str | None] = mapped_column(String(1024))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    sso_site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    sso_subject: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: The reader's public name in URLs and mentions: lower-case letters,
    #: digits and underscores, unique (``rostra.accounts.handles``).
    handle: Mapped[str] = mapped_column(String(30), unique=True)
    handle_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: A private reader cannot be followed and appears in no feed; their
    #: profile shows no activity.
    is_private: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: Notification kind -> wanted (missing kinds are on).
    notify: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default=text("'{}'"))
    #: Reply and mention mails: "digest" (daily), "immediate" or "off".
    mail_mode: Mapped[str] = mapped_column(
        String(16), default="digest", server_default=text("'digest'")
    )

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None
