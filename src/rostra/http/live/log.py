"""The event log of the live channels: every query over live events.

A domain announces a change with ``publish(db, channel, kind, data)`` inside
its transaction: the event gets the channel's next number (1, 2, 3…, with
no gap whichever process writes) and a row, and after the commit the
``"live"`` commit hook (``rostra.app``) hands it to the bus and to this
process's hub. A stream that reconnects, or a hub that missed a message,
reads what it lacks from here (``after``). Rows are kept a day.

Channels are named ``kind:key``: ``story:<hash of its URL>`` (what every
reader of the story may see), ``user:7`` (what only reader 7 may see).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from rostra.db.base import rowcount, utcnow
from rostra.db.session import changed
from rostra.jobs.registry import sweeps
from rostra.models import LiveChannel, LiveEvent

KEPT = timedelta(days=1)
MAX_CHANNEL = 64


@dataclass(frozen=True)
class Event:
    """A committed event, with its data already encoded as JSON."""

    channel: str
    seq: int
    kind: str
    data: str

    def message(self) -> str:
        """As sent on the bus."""
        return (
            f'{{"c":{json.dumps(self.channel)},"s":{self.seq},'
            f'"k":{json.dumps(self.kind)},"d":{self.data}}}'
        )

    @classmethod
    def from_message(cls, message: str) -> Event:
        raw: dict[str, Any] = json.loads(message)
        return cls(str(raw["c"]), int(raw["s"]), str(raw["k"]), encode(raw["d"]))


def encode(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def story_channel(url: str) -> str:
    """The channel of the story at a normalised article URL. Named by the
    URL, not the story's id, so that a reader can follow an article nobody
    has commented on yet: its first comment arrives like any other."""
    return "story:" + hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def user_channel(user_id: int) -> str:
    return f"user:{user_id}"


def publish(db: Session, channel: str, kind: str, data: dict[str, Any]) -> Event:
    """Number and record an event in the caller's transaction; it is sent
    after the commit, and not at all if the transaction rolls back."""
    if len(channel) > MAX_CHANNEL:
        raise ValueError(f"channel name too long: {channel!r}")
    seq = _next_seq(db, channel)
    db.connection().execute(
        _INSERT_EVENT,
        {"channel": channel, "seq": seq, "kind": kind, "data": data, "created_at": utcnow()},
    )
    event = Event(channel, seq, kind, encode(data))
    changed(db, "live", event)
    return event


_INSERT_EVENT = insert(LiveEvent.metadata.tables["live_events"])


def _upsert_seq(dialect: Any) -> Any:
    # One statement on both databases: the row is created on first use, and
    # on PostgreSQL its lock makes writers of one channel take turns.
    channels = LiveChannel.metadata.tables["live_channels"]
    upsert = dialect.insert(channels).values(name=bindparam("channel"), last_seq=1)
    return upsert.on_conflict_do_update(
        index_elements=[channels.c.name], set_={"last_seq": channels.c.last_seq + 1}
    ).returning(channels.c.last_seq)


# Built once, run on the connection: every post numbers an event or two.
_NEXT_SEQ = {"postgresql": _upsert_seq(postgresql), "sqlite": _upsert_seq(sqlite)}


def _next_seq(db: Session, channel: str) -> int:
    conn = db.connection()
    seq: int = conn.execute(_NEXT_SEQ[conn.dialect.name], {"channel": channel}).scalar_one()
    return seq


def last_seq(db: Session, channel: str) -> int:
    """The number of the channel's latest event (0 if it has none)."""
    return int(db.scalar(select(LiveChannel.last_seq).where(LiveChannel.name == channel)) or 0)


def after(db: Session, channel: str, seq: int, limit: int) -> list[Event] | None:
    """The events of ``channel`` numbered above ``seq``, in order, at most
    ``limit``; None when the log no longer holds the one right after ``seq``
    (it was swept, or there are more than ``limit``): the reader must reload."""
    rows = db.execute(
        select(LiveEvent.seq, LiveEvent.kind, LiveEvent.data)
        .where(LiveEvent.channel == channel, LiveEvent.seq > seq)
        .order_by(LiveEvent.seq)
        .limit(limit + 1)
    ).all()
    if not rows:
        return []
    if rows[0].seq != seq + 1 or len(rows) > limit:
        return None
    return [Event(channel, r.seq, r.kind, encode(r.data)) for r in rows]


@sweeps("live_events", keep=KEPT)
def _old_events(db: Session, before: datetime) -> int:
    return rowcount(
        db.execute(
            delete(LiveEvent)
            .where(LiveEvent.created_at < before)
            .execution_options(synchronize_session=False)
        )
    )
