"""One unit of work per request.

``get_db`` yields a session; an endpoint that writes calls ``db.commit()``
itself before it returns, so a 201 is sent only for a durable row. Code
after ``yield`` runs after the response, so it only rolls back and closes.
"""

from __future__ import annotations

from collections.abc import Iterator

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


def get_db(request: Request) -> Iterator[Session]:
    state = request.app.state
    factory: sessionmaker[Session] = (
        state.read_sessionmaker if request.method in _READS else state.sessionmaker)
    db = factory()
    try:
        yield db
    finally:
        db.rollback()
        db.close()
