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


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


def get_db(request: Request) -> Iterator[Session]:
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    db = factory()
    try:
        yield db
    finally:
        db.rollback()
        db.close()
