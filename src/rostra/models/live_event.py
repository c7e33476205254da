from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from rostra.db.base import Base, UTCDateTime, utcnow


class LiveEvent(Base):
    """One event of a live channel, written in the transaction of the change
    it announces: the record that a reconnecting stream replays from, and
    that a process fills a gap from when the broker lost a message. Kept a
    day (housekeeping)."""

    __tablename__ = "live_events"
    __table_args__ = (
        Index("uq_live_events_channel_seq", "channel", "seq", unique=True),
        Index("ix_live_events_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
