"""The job runner: claims outbox rows and hands each to its topic's handler.

``rostra serve`` runs one in a background thread (the embedded default);
``rostra worker`` runs it in the foreground for scaled-out deployments.
Handlers are registered by topic; an event with no handler is a bug and is
recorded as failed rather than silently dropped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from rostra.backends import Backends
from rostra.config import Settings
from rostra.jobs import outbox
from rostra.models import OutboxEvent

log = logging.getLogger(__name__)

Handler = Callable[[OutboxEvent, "JobContext"], None]
HANDLERS: dict[str, Handler] = {}


class JobContext:
    def __init__(self, settings: Settings, backends: Backends) -> None:
        self.settings = settings
        self.backends = backends


def handles(topic: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[topic] = fn
        return fn
    return register


def _load_handlers() -> None:
    # Importing the task modules registers their handlers.
    import rostra.accounts.tasks  # noqa: F401
    import rostra.comments.tasks  # noqa: F401


def run_once(factory: sessionmaker[Session], ctx: JobContext, limit: int = 20) -> int:
    """Claim and run one batch; returns how many events were handled."""
    _load_handlers()
    with factory() as db:
        events = outbox.claim(db, limit)
        db.commit()
    for event in events:
        with factory() as db:
            row = db.get(OutboxEvent, event.id)
            if row is None:
                continue
            handler = HANDLERS.get(row.topic)
            try:
                if handler is None:
                    raise LookupError(f"no handler for topic {row.topic!r}")
                handler(row, ctx)
                outbox.finish(row)
            except Exception as exc:  # one bad event must not stop the queue
                log.exception("job %s (%s) failed", row.id, row.topic)
                outbox.fail(row, f"{type(exc).__name__}: {exc}")
            db.commit()
    return len(events)


class Runner:
    """Polls the outbox in a thread; ``wake()`` makes it look at once."""

    def __init__(self, factory: sessionmaker[Session], ctx: JobContext,
                 poll_seconds: float) -> None:
        self.factory = factory
        self.ctx = ctx
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

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

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                busy = run_once(self.factory, self.ctx) > 0
            except Exception:
                log.exception("job runner pass failed")
                busy = False
            if not busy:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()


def wake_runner(app_state: Any) -> None:
    runner: Runner | None = getattr(app_state, "runner", None)
    if runner is not None:
        runner.wake()
