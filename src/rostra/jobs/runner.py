"""The job runner: claims outbox rows and hands each to its topic's handler.

``rostra serve`` runs one in a background thread (the embedded default);
``rostra worker`` runs it in the foreground for scaled-out deployments.
Handlers are registered by topic in ``rostra.jobs.registry``; an event with
no handler is a bug and is recorded as failed rather than silently dropped.
Each runner also keeps the housekeeping pass scheduled
(``rostra.jobs.housekeeping``).
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy.orm import Session, sessionmaker

from rostra.db.session import savepoint
from rostra.jobs import housekeeping, outbox
from rostra.jobs.registry import (
    RECURRING,
    Handler,
    JobContext,
    handler_for,
    job_session,
    writing_topics,
)
from rostra.models import OutboxEvent

log = logging.getLogger(__name__)


#: Most rows of writing handlers run in one transaction: each is a few
#: indexed statements, and one commit for many keeps the job runner from
#: taking SQLite's write lock once per comment posted.
WRITING_BATCH = 100
#: How long a busy runner lets jobs gather before its next pass.
GATHER_SECONDS = 0.05


def run_once(factory: sessionmaker[Session], ctx: JobContext, limit: int = 5) -> int:
    """Run one batch; returns how many events were handled.

    Handlers that write run together: taken, run and marked done in one
    transaction, which also claims the others. Those are leased in
    small batches, so that every event starts well within its lease
    (outbox.LEASE) even when each takes a mail server's whole timeout, and
    run with no transaction open, each marked done as soon as it is.
    """
    with factory() as db:
        done = _run_writing(db, ctx)
        events = outbox.claim(db, limit, besides=writing_topics())
        db.commit()
    for event in events:
        registered = handler_for(event.topic)
        if registered is not None and registered.writes:  # registered since
            _run_in_transaction(factory, ctx, event, registered.handler)
            continue
        error = None
        try:
            if registered is None:
                raise LookupError(f"no handler for topic {event.topic!r}")
            registered.handler(event, ctx)
        except Exception as exc:  # one bad event must not stop the queue
            log.exception("job %s (%s) failed", event.id, event.topic)
            error = f"{type(exc).__name__}: {exc}"
        # Marked at once: a runner that dies later sends this one's mail
        # again only if it dies before this commit.
        with factory() as db:
            row = _still_ours(db, event)
            if row is None:
                continue
            if error is None:
                outbox.finish(row)
            else:
                outbox.fail(row, error)
            db.commit()
    return done + len(events)


def _run_writing(db: Session, ctx: JobContext) -> int:
    """Take the ready rows of writing handlers (``outbox.take``), run each in
    a SAVEPOINT of its own and mark it done (or failed, its writes undone),
    in the caller's transaction; returns how many were run."""
    rows = outbox.take(db, writing_topics(), WRITING_BATCH)
    for row in rows:
        registered = handler_for(row.topic)
        if registered is None:  # pragma: no cover - registries only grow
            outbox.fail(row, f"LookupError: no handler for topic {row.topic!r}")
            continue
        _run_one(row, ctx, registered.handler)
    return len(rows)


def _run_one(row: OutboxEvent, ctx: JobContext, handler: Handler) -> None:
    try:
        # A savepoint, so that a failing handler's writes are undone while
        # its failure is still recorded (and, on PostgreSQL, an SQL error
        # does not leave the transaction unusable); what the handler
        # recorded for after the commit goes with its writes.
        with savepoint(job_session(row)):
            handler(row, ctx)
        outbox.finish(row)
    except Exception as exc:
        log.exception("job %s (%s) failed", row.id, row.topic)
        outbox.fail(row, f"{type(exc).__name__}: {exc}")


def _still_ours(db: Session, event: OutboxEvent) -> OutboxEvent | None:
    """The event's row, unless its lease ran out and another runner took it."""
    row = db.get(OutboxEvent, event.id)
    if row is None or row.done_at is not None or row.locked_until != event.locked_until:
        log.warning(
            "job %s (%s): lease lost, leaving it to the runner that has it", event.id, event.topic
        )
        return None
    return row


def _run_in_transaction(
    factory: sessionmaker[Session], ctx: JobContext, event: OutboxEvent, handler: Handler
) -> None:
    with factory() as db:
        row = _still_ours(db, event)
        if row is None:
            return
        _run_one(row, ctx, handler)
        db.commit()


class Runner:
    """Polls the outbox in a thread; ``wake()`` makes it look at once."""

    def __init__(
        self, factory: sessionmaker[Session], ctx: JobContext, poll_seconds: float
    ) -> None:
        self.factory = factory
        self.ctx = ctx
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_schedule_check = 0.0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="rostra-jobs", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=10)

    def run_forever(self) -> None:
        self._loop()

    def keep_housekeeping_scheduled(self) -> None:
        """At start and then once per interval, make sure a housekeeping pass
        (and a pass of each recurring job) is waiting: one query per
        interval, and the chain survives a pass that failed for good."""
        interval = self.ctx.settings.housekeeping_interval_seconds
        if time.monotonic() < self._next_schedule_check:
            return
        # Set first: after a failure, try again in a minute, not at every poll.
        self._next_schedule_check = time.monotonic() + min(interval, 60)
        with self.factory() as db:
            housekeeping.ensure_scheduled(db, interval)
            for topic, every in sorted(RECURRING.items()):
                housekeeping.ensure_scheduled(db, every(self.ctx.settings), topic=topic)
            db.commit()
        self._next_schedule_check = time.monotonic() + interval

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.keep_housekeeping_scheduled()
            except Exception:  # housekeeping must not hold up mail and events
                log.exception("scheduling housekeeping failed")
            try:
                busy = run_once(self.factory, self.ctx) > 0
            except Exception:
                log.exception("job runner pass failed")
                busy = False
            if busy:
                # Under load each pass would take a few rows only, and on
                # SQLite the write lock once for them: let more gather first.
                self._stop.wait(GATHER_SECONDS)
            else:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()
