"""The live event log: numbered per channel with no gap, committed with the
change, sent after the commit only, replayable, swept after a day."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from rostra.db.base import utcnow
from rostra.http.deps import state_of
from rostra.http.live import log
from rostra.jobs import housekeeping
from rostra.models import LiveEvent


def _publish(app: FastAPI, channel: str, n: int, rollback: bool = False) -> None:
    with state_of(app).write_sessions() as db:
        for i in range(n):
            log.publish(db, channel, "test.event", {"i": i, "text": "été \u2028 </script>"})
        if rollback:
            db.rollback()
        else:
            db.commit()


def test_each_channel_counts_from_one(app: FastAPI, db: Session) -> None:
    _publish(app, "story:a", 3)
    _publish(app, "story:b", 2)
    _publish(app, "story:a", 1)
    assert log.last_seq(db, "story:a") == 4
    assert log.last_seq(db, "story:b") == 2
    assert log.last_seq(db, "story:none") == 0
    seqs = db.execute(select(LiveEvent.channel, LiveEvent.seq).order_by(LiveEvent.id)).all()
    assert [tuple(r) for r in seqs] == [
        ("story:a", 1), ("story:a", 2), ("story:a", 3), ("story:b", 1), ("story:b", 2),
        ("story:a", 4),
    ]  # fmt: skip


def test_a_rolled_back_event_leaves_no_number_behind(app: FastAPI, db: Session) -> None:
    _publish(app, "story:a", 2, rollback=True)
    _publish(app, "story:a", 1)
    assert [e.seq for e in log.after(db, "story:a", 0, 10) or []] == [1]


def test_events_are_sent_after_the_commit_only(app: FastAPI) -> None:
    sent: list[log.Event] = []
    state_of(app).hooks.on("live", lambda events: sent.extend(sorted(events, key=lambda e: e.seq)))
    _publish(app, "story:a", 2, rollback=True)
    assert sent == []
    _publish(app, "story:a", 2)
    assert [(e.channel, e.seq, e.kind) for e in sent] == [
        ("story:a", 1, "test.event"),
        ("story:a", 2, "test.event"),
    ]
    # The bus message carries the data as JSON, and reads back the same.
    again = log.Event.from_message(sent[0].message())
    assert again == sent[0]
    assert '"text":"été \u2028 </script>"' in again.data


def test_after_replays_in_order_or_says_it_cannot(app: FastAPI, db: Session) -> None:
    _publish(app, "story:a", 5)
    assert [e.seq for e in log.after(db, "story:a", 2, 10) or []] == [3, 4, 5]
    assert log.after(db, "story:a", 5, 10) == []
    assert log.after(db, "story:a", 0, 3) is None  # more than the limit: reload
    db.execute(
        update(LiveEvent).where(LiveEvent.seq <= 2).values(created_at=utcnow() - timedelta(days=2))
    )
    db.commit()
    housekeeping.sweep(db)
    db.commit()
    assert log.after(db, "story:a", 0, 10) is None  # the start was swept: reload
    assert [e.seq for e in log.after(db, "story:a", 2, 10) or []] == [3, 4, 5]
