from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from rostra.db.base import Base, UTCDateTime, utcnow


class Role(enum.StrEnum):
    ADMIN = "admin"  # moderates and grants roles on the site
    MODERATOR = "moderator"  # works the site's queues
    STAFF = "staff"  # a newsroom member: a badge on their comments, no desk


class SiteRole(Base):
    """One person's role on one site. ``users.is_admin`` is the operator's
    administrator, who holds every role on every site."""

    __tablename__ = "site_roles"

    site_id: Mapped[int] = mapped_column(
        ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
