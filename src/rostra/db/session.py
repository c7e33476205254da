"""Sessions, and what runs after a commit.

A service never commits. It records what it changed (``changed(db, "story",
id)``) or registers a callback (``after_commit(db, fn)``); whoever owns the
unit of work commits once — the request (``rostra.http.deps.WriteSession``),
the job runner, a CLI command — and then the callbacks run, followed by the
listeners that the composition root (``rostra.app``) registered on
:class:`CommitHooks` for each kind of change. A rollback forgets both, so
nothing runs for work that was not kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

_CALLBACKS = "rostra_after_commit"
_CHANGED = "rostra_changed"

Listener = Callable[[set[Any]], None]


def make_sessionmaker(
    engine: Engine, *, write: bool = True, hooks: CommitHooks | None = None
) -> sessionmaker[Session]:
    """Sessions for writing (SQLite: BEGIN IMMEDIATE) or only reading.

    ``hooks`` run after each commit of these sessions.
    """
    bind = engine.execution_options(sqlite_begin="IMMEDIATE") if write else engine
    factory = sessionmaker(bind=bind, expire_on_commit=False, autoflush=False)
    (hooks or CommitHooks()).install(factory)
    return factory


def after_commit(db: Session, fn: Callable[[], None]) -> None:
    """Run ``fn`` once the session's current transaction has committed."""
    db.info.setdefault(_CALLBACKS, []).append(fn)


def changed(db: Session, kind: str, key: Hashable = None) -> None:
    """Record that the transaction changes a thing of ``kind`` (e.g. the
    public view of story ``key``); the listeners of ``kind`` learn of it,
    once per key, after the commit."""
    db.info.setdefault(_CHANGED, {}).setdefault(kind, set()).add(key)


@dataclass
class Pending:
    """The after-commit work a session has recorded so far."""

    callbacks: list[Callable[[], None]] = field(default_factory=list)
    kinds: dict[str, set[Any]] = field(default_factory=dict)


def take_pending(db: Session) -> Pending:
    """Remove and return what ``db`` recorded (``after_commit``, ``changed``):
    for whoever commits several units of work in one transaction and runs
    each unit's steps itself (``rostra.db.writes``)."""
    return Pending(db.info.pop(_CALLBACKS, []), db.info.pop(_CHANGED, {}))


@contextmanager
def savepoint(db: Session) -> Iterator[None]:
    """A SAVEPOINT that, when the block raises, undoes the block's writes
    *and* forgets the after-commit work the block recorded, so nothing runs
    for a change that was not kept. The rest of the transaction stays."""
    before = take_pending(db)
    try:
        with db.begin_nested():
            yield
    except BaseException:
        _forget(db)
        raise
    finally:
        inner = take_pending(db)
        db.info[_CALLBACKS] = before.callbacks
        db.info[_CHANGED] = before.kinds
    before.callbacks.extend(inner.callbacks)
    for kind, keys in inner.kinds.items():
        before.kinds.setdefault(kind, set()).update(keys)


class CommitHooks:
    """The listeners for each kind of change, for every session of a factory."""

    def __init__(self) -> None:
        self._listeners: dict[str, list[Listener]] = {}

    def on(self, kind: str, listener: Listener) -> None:
        self._listeners.setdefault(kind, []).append(listener)

    def install(self, factory: sessionmaker[Session]) -> None:
        event.listen(factory, "after_commit", self._committed)
        event.listen(factory, "after_rollback", _rolled_back)

    def run(self, pending: Pending) -> None:
        """Carry out recorded work whose transaction has committed."""
        # The commit has happened: a failing step is logged, never raised,
        # so the caller still reports the durable success it is.
        for fn in pending.callbacks:
            _safely(fn)
        for kind, keys in pending.kinds.items():
            for listener in self._listeners.get(kind, ()):
                _safely(partial(listener, keys))

    def _committed(self, db: Session) -> None:
        # SQLAlchemy sends "after_commit" for a released SAVEPOINT too: the
        # work waits for the real commit.
        if not db.in_nested_transaction():
            self.run(take_pending(db))


def _forget(db: Session) -> None:
    db.info.pop(_CALLBACKS, None)
    db.info.pop(_CHANGED, None)


def _rolled_back(db: Session) -> None:
    # A SAVEPOINT rolled back undoes only its block (``savepoint`` forgets
    # what the block recorded); the real rollback forgets everything.
    if not db.in_nested_transaction():
        _forget(db)


def _safely(fn: Callable[[], None]) -> None:
    try:
        fn()
    except Exception:
        log.exception("after-commit step %r failed", fn)
