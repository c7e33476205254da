from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from rostra.db.base import Base


class LiveChannel(Base):
    """The last event number of one live channel (``story:12``, ``user:7``),
    so that every channel's events are numbered 1, 2, 3… with no gap,
    whichever process wrote them."""

    __tablename__ = "live_channels"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
