"""The registry every domain writes its background work into.

A domain's ``tasks.py`` registers the handlers of its outbox topics
(``@handles``) and the old rows that housekeeping deletes for it
(``@sweeps``); the composition root (``rostra.app.load_tasks``) imports the
task modules, so the job runner never imports a domain, and a new domain
adds a job without touching ``rostra.jobs``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, object_session, sessionmaker

from rostra.backends import Backends
from rostra.config import Settings
from rostra.db.base import utcnow
from rostra.models import OutboxEvent


@dataclass(frozen=True)
class JobContext:
    settings: Settings
    backends: Backends
    #: Write sessions (with the commit hooks), for a handler that must not
    #: hold a transaction open while it waits on the network (it reads, lets
    #: go, does the slow part, then writes and commits in a short one).
    sessions: sessionmaker[Session] | None = None


Handler = Callable[[OutboxEvent, JobContext], None]
#: Whether an event (its payload) could make its handler do anything, asked
#: in the transaction that emits it (``rostra.jobs.outbox.emit``): an event
#: that would change nothing is not written, and no job runs for it.
Wanted = Callable[[Session, dict[str, Any]], bool]
#: Deletes the rows of one kind older than the given time; returns how many.
Sweep = Callable[[Session, datetime], int]


@dataclass(frozen=True)
class Registered:
    handler: Handler
    #: Whether it writes, and so runs inside the transaction that marks its
    #: event done (see ``job_session``).
    writes: bool
    #: For events (``emit``): whether one is worth a job (None: always).
    wanted: Wanted | None = None


HANDLERS: dict[str, Registered] = {}
#: topic -> how many seconds between its passes, read from the settings
RECURRING: dict[str, Callable[[Settings], int]] = {}
#: name -> (the sweep, how long its rows are kept)
SWEEPS: dict[str, tuple[Sweep, timedelta]] = {}


def handles(
    topic: str, *, writes: bool = False, wanted: Wanted | None = None
) -> Callable[[Handler], Handler]:
    """Register the handler of ``topic``. Most handlers only cause effects
    elsewhere (a mail, a published event) and run with no transaction open:
    on SQLite an open write transaction would hold the one write lock for
    the length of an SMTP exchange. A handler that ``writes`` runs inside
    the transaction that marks its event done. ``wanted`` filters the
    events emitted for it (see ``Wanted``)."""

    def register(fn: Handler) -> Handler:
        HANDLERS[topic] = Registered(fn, writes, wanted)
        return fn

    return register


def sweeps(name: str, *, keep: timedelta) -> Callable[[Sweep], Sweep]:
    """Register a housekeeping delete: rows of ``name`` older than ``keep``."""

    def register(fn: Sweep) -> Sweep:
        SWEEPS[name] = (fn, keep)
        return fn

    return register


def recurs(topic: str, *, every: Callable[[Settings], int]) -> Callable[[Handler], Handler]:
    """Register a recurring job: a writing handler of ``topic`` whose pass,
    once done, schedules the next ``every(settings)`` seconds later in the
    same transaction; each runner keeps one pass waiting (as for
    housekeeping, ``rostra.jobs.housekeeping.schedule``), so one runner of
    however many runs each pass."""

    def register(fn: Handler) -> Handler:
        def run_then_schedule(event: OutboxEvent, ctx: JobContext) -> None:
            from rostra.jobs.housekeeping import schedule  # it imports this module

            fn(event, ctx)
            at = utcnow() + timedelta(seconds=every(ctx.settings))
            schedule(job_session(event), at, besides=event.id, topic=topic)

        RECURRING[topic] = every
        HANDLERS[topic] = Registered(run_then_schedule, True)
        return fn

    return register


def handler_for(topic: str) -> Registered | None:
    return HANDLERS.get(topic)


def writing_topics() -> frozenset[str]:
    """The topics whose handlers write (run in the transaction that marks them done)."""
    return frozenset(topic for topic, r in HANDLERS.items() if r.writes)


def job_session(event: OutboxEvent) -> Session:
    """The session a handler's event was loaded in. Writes made through it
    commit in one transaction with the event being marked done, or are
    rolled back if the handler raises."""
    db = object_session(event)
    if db is None:
        raise RuntimeError(f"outbox event {event.id} is not being run by the runner")
    return db
