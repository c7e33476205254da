"""Units of work that are committed for the caller: one transaction each on
PostgreSQL, many in one transaction (group commit) on SQLite.

A *unit* is a function of a session that does one request's writes and
returns its answer; it never commits. ``await writer.run(unit)`` returns
that answer once the unit's writes are durable and its after-commit steps
(``rostra.db.session.after_commit`` / ``changed``) have run, or raises what
the unit raised, with none of its writes kept and none of its steps run.

PostgreSQL takes concurrent transactions as they come, so
:class:`TransactionPerUnit` gives each unit a transaction of its own, in a
worker thread: nothing serialises writers there but the rows they share.

SQLite has one write lock for the whole database. Taking it once per
request makes concurrent posts queue for it one by one, each with its own
BEGIN, COMMIT and hand-over. :class:`GroupCommit` has one writer thread per
process instead: it takes every unit waiting, runs them in one ``BEGIN
IMMEDIATE`` transaction, each inside a SAVEPOINT of its own, and commits
once. A unit that raises is rolled back to its savepoint, forgetting its
after-commit steps, and its caller gets the error; the others are kept. If
the commit itself fails, every caller of the group gets the error and
nothing of the group is kept. Callers wait on a future, not on a lock, so
while one group commits the next one gathers; the lock is taken only for
the writes, never while a request is checked or its Markdown rendered.
Across processes the writer threads meet at SQLite's lock (BEGIN IMMEDIATE
and the busy timeout), each taking it once per group.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import anyio.to_thread
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from rostra.db.session import CommitHooks, Pending, savepoint, take_pending

log = logging.getLogger(__name__)

T = TypeVar("T")
Unit = Callable[[Session], T]

#: Most units committed in one transaction: a bound on how long the first
#: of them waits for the last, and on what one failed commit takes with it.
MAX_GROUP = 64


class Writer(Protocol):
    async def run(self, unit: Unit[T]) -> T:
        """The unit's answer, once its writes are committed."""
        ...

    def close(self) -> None:
        """Finish the units already given and let the thread, if any, go."""
        ...


class TransactionPerUnit:
    """Each unit in a transaction of its own (PostgreSQL)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    async def run(self, unit: Unit[T]) -> T:
        return await anyio.to_thread.run_sync(self.run_sync, unit)

    def run_sync(self, unit: Unit[T]) -> T:
        with self.sessions() as db:
            result = unit(db)
            db.commit()  # the factory's hooks run the steps after it
        return result

    def close(self) -> None:
        pass


@dataclass
class _Job:
    unit: Unit[Any]
    future: Future[Any]
    pending: Pending | None = None
    result: Any = None


class GroupCommit:
    """Many units in one transaction, one SAVEPOINT each (SQLite); see the
    module's docstring. The writer thread starts with the first unit given."""

    def __init__(
        self, sessions: sessionmaker[Session], hooks: CommitHooks, max_group: int = MAX_GROUP
    ) -> None:
        self.sessions = sessions
        self.hooks = hooks
        self.max_group = max_group
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        #: How many groups and units were committed (for tests and logs).
        self.groups = 0
        self.units = 0

    async def run(self, unit: Unit[T]) -> T:
        return await asyncio.wrap_future(self.submit(unit))

    def run_sync(self, unit: Unit[T]) -> T:
        """For a caller in a worker thread (never the writer thread itself)."""
        return self.submit(unit).result()

    def submit(self, unit: Unit[T]) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="rostra-writer", daemon=True
                )
                self._thread.start()
            self._queue.put(_Job(unit, future))
        return future

    def close(self) -> None:
        """Commit what was given so far and stop the thread; a unit given
        later starts a new one (an app may be started again)."""
        with self._lock:
            thread, self._thread = self._thread, None
            if thread is not None:
                self._queue.put(None)
        if thread is not None:
            thread.join()

    def _loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            group = [first]
            stop = False
            while len(group) < self.max_group:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stop = True
                    break
                group.append(job)
            self._commit(group)
            if stop:
                return

    def _commit(self, group: list[_Job]) -> None:
        kept: list[_Job] = []
        refused: list[tuple[_Job, BaseException]] = []
        try:
            with self.sessions() as db:
                for job in group:
                    if not job.future.set_running_or_notify_cancel():
                        continue  # its caller is gone before it began
                    try:
                        with savepoint(db):
                            job.result = job.unit(db)
                            db.flush()
                        job.pending = take_pending(db)
                        kept.append(job)
                    except Exception as error:  # its own answer; the others go on
                        refused.append((job, error))
                    # Each unit starts as on a session of its own: no row
                    # another unit loaded, perhaps changed since.
                    db.expunge_all()
                db.commit()
        except BaseException as error:
            log.exception("a group of %d writes failed to commit", len(kept))
            for job in kept:
                job.future.set_exception(error)
            for job, own in refused:
                job.future.set_exception(own)
            if not isinstance(error, Exception):
                raise
            return
        self.groups += 1
        self.units += len(kept)
        # Answers only once the lock is given back, the refused ones too.
        for job, own in refused:
            job.future.set_exception(own)
        for job in kept:
            if job.pending is not None:
                self.hooks.run(job.pending)
            job.future.set_result(job.result)


def make_writer(engine: Engine, sessions: sessionmaker[Session], hooks: CommitHooks) -> Writer:
    """Group commit on SQLite, a transaction per unit elsewhere; ``sessions``
    are write sessions of ``engine`` whose commits run ``hooks``."""
    if engine.dialect.name == "sqlite":
        return GroupCommit(sessions, hooks)
    return TransactionPerUnit(sessions)
