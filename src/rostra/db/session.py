"""One unit of work per request.

``get_db`` yields a session; an endpoint that writes calls ``db.commit()``
itself before it returns, so a 201 is sent only for a durable row. Code
after ``yield`` runs after the response, so it only rolls back and closes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import anyio.to_thread
from fastapi import Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

_READS = frozenset({"GET", "HEAD", "OPTIONS"})


def make_sessionmaker(engine: Engine, *, write: bool = True) -> sessionmaker[Session]:
    """Sessions for writing (SQLite: BEGIN IMMEDIATE) or only reading."""
    bind = engine.execution_options(sqlite_begin="IMMEDIATE") if write else engine
    return sessionmaker(bind=bind, expire_on_commit=False, autoflush=False)


def get_read_db(request: Request) -> Iterator[Session]:
    """A reading session whatever the method: for the slow part of a write
    request (a password hash) that must not hold SQLite's write lock."""
    db = request.app.state.read_sessionmaker()
    try:
        yield db
    finally:
        db.rollback()
        db.close()


async def get_db(request: Request) -> AsyncIterator[Session]:
    """The request's session.

    An async dependency on purpose: FastAPI runs a plain generator dependency
    in the thread pool, set-up and tear-down each, and those thread hops cost
    more than a short query. Making a session does no I/O, so it is made
    here on the event loop; only ending a transaction that is still open
    (a read, or a write that failed) goes to a thread.
    """
    state = request.app.state
    factory: sessionmaker[Session] = (
        state.read_sessionmaker if request.method in _READS else state.sessionmaker
    )
    db = factory()
    try:
        yield db
    finally:
        if db.in_transaction():
            await anyio.to_thread.run_sync(_end, db)
        else:
            db.close()


def _end(db: Session) -> None:
    db.rollback()
    db.close()
