from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint, text
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

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None
