"""Housekeeping: old rows are deleted, young ones kept; one pass per interval,
however many runners there are."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from rostra.app import job_context
from rostra.db.base import utcnow
from rostra.http.deps import state_of
from rostra.jobs import housekeeping
from rostra.jobs.runner import Runner
from rostra.models import (
    AuthSession,
    EmailToken,
    IdempotencyKey,
    LiveEvent,
    Notification,
    OutboxEvent,
    UsedSsoToken,
    User,
)
from tests.factories import add_site

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def _session(app: FastAPI) -> Session:
    session: Session = state_of(app).write_sessions()
    return session


def _passes(app: FastAPI) -> list[OutboxEvent]:
    with _session(app) as db:
        return list(
            db.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.topic == "housekeeping")
                .order_by(OutboxEvent.id)
            )
        )


def _fill(app: FastAPI, now: datetime) -> None:
    """Rows of every kind, each named after whether housekeeping must delete it."""
    site = add_site(app)
    with _session(app) as db:
        user = User(email="old@example.org", display_name="Old")
        db.add(user)
        db.flush()
        for name, created in (("delete", now - 25 * HOUR), ("keep", now - 23 * HOUR)):
            db.add(
                IdempotencyKey(
                    user_id=user.id,
                    key=name,
                    request_hash="h",
                    status_code=201,
                    response_body="{}",
                    created_at=created,
                )
            )
        for name, expires in (
            ("delete", now - 10 * timedelta(minutes=1)),
            ("keep-in-leeway", now - timedelta(seconds=10)),
            ("keep", now + timedelta(minutes=5)),
        ):
            db.add(UsedSsoToken(site_id=site.id, jti=name, expires_at=expires))
        sessions: list[tuple[str, datetime, datetime | None]] = [
            ("delete-expired", now - 31 * DAY, None),
            ("delete-revoked", now + 60 * DAY, now - 31 * DAY),
            ("keep-expired", now - 29 * DAY, None),
            ("keep-revoked", now + 60 * DAY, now - 29 * DAY),
            ("keep-live", now + 60 * DAY, None),
        ]
        for name, expires, revoked in sessions:
            db.add(
                AuthSession(
                    user_id=user.id, token_hash=name, expires_at=expires, revoked_at=revoked
                )
            )
        for name, expires, used in (
            ("delete", now - 8 * DAY, None),
            ("delete-used", now - 8 * DAY, now - 9 * DAY),
            ("keep", now - 6 * DAY, None),
            ("keep-live", now + DAY, None),
        ):
            db.add(
                EmailToken(
                    user_id=user.id,
                    purpose="verify",
                    token_hash=name,
                    expires_at=expires,
                    used_at=used,
                )
            )
        jobs: list[tuple[str, datetime | None, str | None]] = [
            ("delete", now - 8 * DAY, None),
            ("keep-failed", now - 8 * DAY, "SMTPError: refused"),
            ("keep-recent", now - 6 * DAY, None),
            ("keep-pending", None, None),
        ]
        for name, done, error in jobs:
            # The pending row waits (a retry far off), so that it stays out
            # of the way of the runs below.
            db.add(
                OutboxEvent(
                    topic="test.row",
                    payload={"name": name},
                    created_at=now - 30 * DAY,
                    available_at=now + 30 * DAY,
                    done_at=done,
                    last_error=error,
                )
            )
        for name, created, read in (
            ("delete", now - 91 * DAY, now - 90 * DAY),
            ("keep-unread", now - 91 * DAY, None),
            ("keep-recent", now - 89 * DAY, now - 89 * DAY),
        ):
            db.add(
                Notification(
                    user_id=user.id, kind="reply", action=name, created_at=created, read_at=read
                )
            )
        for seq, (name, created) in enumerate(
            (("delete", now - 25 * HOUR), ("keep", now - 23 * HOUR)), start=1
        ):
            db.add(LiveEvent(channel="story:x", seq=seq, kind=name, data={}, created_at=created))
        db.commit()


def _left(app: FastAPI) -> dict[str, list[str]]:
    with _session(app) as db:
        return {
            "idempotency_keys": sorted(db.scalars(select(IdempotencyKey.key))),
            "used_sso_tokens": sorted(db.scalars(select(UsedSsoToken.jti))),
            "auth_sessions": sorted(db.scalars(select(AuthSession.token_hash))),
            "email_tokens": sorted(db.scalars(select(EmailToken.token_hash))),
            "outbox": sorted(
                e.payload["name"]
                for e in db.scalars(select(OutboxEvent).where(OutboxEvent.topic == "test.row"))
            ),
            "live_events": sorted(db.scalars(select(LiveEvent.kind))),
            "notifications": sorted(a for a in db.scalars(select(Notification.action)) if a),
        }


def test_sweep_deletes_old_rows_and_keeps_the_rest(app: FastAPI) -> None:
    now = utcnow()
    _fill(app, now)
    with _session(app) as db:
        swept = housekeeping.sweep(db, now)
        db.commit()
    assert swept == {
        "idempotency_keys": 1,
        "used_sso_tokens": 1,
        "auth_sessions": 2,
        "email_tokens": 2,
        "outbox": 1,
        "live_events": 1,
        "notifications": 1,
    }
    assert _left(app) == {
        "idempotency_keys": ["keep"],
        "used_sso_tokens": ["keep", "keep-in-leeway"],
        "auth_sessions": ["keep-expired", "keep-live", "keep-revoked"],
        "email_tokens": ["keep", "keep-live"],
        "outbox": ["keep-failed", "keep-pending", "keep-recent"],
        "live_events": ["keep"],
        "notifications": ["keep-recent", "keep-unread"],
    }


def test_used_sso_tokens_outlive_the_exchange_leeway(app: FastAPI) -> None:
    # A token the exchange still accepts must still be refused as a replay.
    from rostra.jobs.registry import SWEEPS
    from rostra.sso.service import LEEWAY

    assert SWEEPS["used_sso_tokens"][1] > LEEWAY


def test_one_pass_per_interval(app: FastAPI, jobs: Any) -> None:
    interval = timedelta(seconds=state_of(app).settings.housekeeping_interval_seconds)
    now = utcnow()
    _fill(app, now)
    for _ in range(2):
        with _session(app) as db:
            housekeeping.ensure_scheduled(db, int(interval.total_seconds()))
            db.commit()
    [first] = _passes(app)
    assert first.done_at is None
    assert abs(first.available_at - (now + interval)) < timedelta(seconds=30)
    assert jobs() == 0  # not due yet
    assert _left(app)["idempotency_keys"] == ["delete", "keep"]

    with _session(app) as db:  # an interval later
        db.execute(
            update(OutboxEvent)
            .where(OutboxEvent.id == first.id)
            .values(available_at=now - timedelta(seconds=1))
        )
        db.commit()
    assert jobs() == 1
    assert _left(app)["idempotency_keys"] == ["keep"]
    done, following = _passes(app)
    assert done.id == first.id and done.done_at is not None and done.last_error is None
    assert following.done_at is None
    assert abs(following.available_at - (utcnow() + interval)) < timedelta(seconds=30)
    assert jobs() == 0  # the next pass waits for its interval


def test_runners_starting_together_schedule_one_pass(app: FastAPI) -> None:
    barrier = threading.Barrier(4)
    added: list[bool] = []
    errors: list[BaseException] = []

    def start_runner() -> None:
        try:
            with _session(app) as db:
                barrier.wait(timeout=10)
                added.append(housekeeping.ensure_scheduled(db, 3600))
                db.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start_runner) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert sorted(added) == [False, False, False, True]
    assert len(_passes(app)) == 1


def test_runner_keeps_a_pass_scheduled_and_checks_once_per_interval(app: FastAPI) -> None:
    runner = Runner(state_of(app).write_sessions, job_context(state_of(app)), poll_seconds=30)
    runner.keep_housekeeping_scheduled()
    runner.keep_housekeeping_scheduled()
    assert len(_passes(app)) == 1
    with _session(app) as db:  # say the chain broke: a pass failed for good
        db.execute(update(OutboxEvent).values(done_at=utcnow(), last_error="gave up"))
        db.commit()
    runner.keep_housekeeping_scheduled()  # checked less than an interval ago: no query
    assert len(_passes(app)) == 1
    other = Runner(state_of(app).write_sessions, runner.ctx, poll_seconds=30)
    other.keep_housekeeping_scheduled()  # the next check restarts the chain
    assert [p.done_at is None for p in _passes(app)] == [False, True]


def test_a_failed_pass_is_undone_and_retried(
    app: FastAPI, jobs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = utcnow()
    _fill(app, now)
    real_sweep = housekeeping.sweep

    def sweep_then_fail(db: Session, now: datetime | None = None) -> dict[str, int]:
        real_sweep(db, now)
        raise RuntimeError("disk full")

    monkeypatch.setattr(housekeeping, "sweep", sweep_then_fail)
    with _session(app) as db:
        housekeeping.ensure_scheduled(db, 3600, now=now - 2 * HOUR)
        db.commit()
    assert jobs() == 1
    assert _left(app)["idempotency_keys"] == ["delete", "keep"]  # nothing half done
    [failed] = _passes(app)
    assert failed.done_at is None and failed.attempts == 1
    assert failed.last_error == "RuntimeError: disk full"
    assert failed.available_at > now  # retried with back-off, not at once
