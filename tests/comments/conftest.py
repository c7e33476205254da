"""Helpers for comment tests: posting, counting rows, changing accounts."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from rostra.accounts.tokens import hash_token, new_token
from rostra.db.base import utcnow
from rostra.http.deps import state_of
from rostra.models import AuthSession, Comment, Site, Story, User
from tests.factories import ARTICLE, add_site, seen_by

API = "/api/v1"
_seq = itertools.count(1)


@pytest.fixture
def site(app: FastAPI) -> Site:
    return add_site(app)


def quick_reader(app: FastAPI, display_name: str | None = None, **values: Any) -> dict[str, str]:
    """A signed-in reader made directly in the database.

    ``tests.factories.reader`` goes through register and login, which hash
    passwords with argon2 on purpose slowly; comment tests need hundreds of
    readers, so they make the user and the session row themselves (one test
    in test_post.py still goes the real way).
    """
    n = next(_seq)
    token = new_token()
    with state_of(app).write_sessions() as db:
        user = User(
            email=f"quick{n}@example.org", display_name=display_name or f"Quick {n}", **values
        )
        db.add(user)
        db.flush()
        db.add(
            AuthSession(
                user_id=user.id,
                token_hash=hash_token(token),
                expires_at=utcnow() + timedelta(days=1),
            )
        )
        db.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def alice(app: FastAPI, site: Site) -> dict[str, str]:
    return quick_reader(app, "Alice")


@pytest.fixture
def bob(app: FastAPI, site: Site) -> dict[str, str]:
    return quick_reader(app, "Bob")


def post(
    client: TestClient,
    headers: dict[str, str],
    body: str = "A comment.",
    url: str = ARTICLE,
    expect: int | None = 201,
    **fields: Any,
) -> Response:
    r: Response = client.post(
        f"{API}/comments", json={"url": url, "body": body, **fields}, headers=headers
    )
    if expect is not None:
        assert r.status_code == expect, r.text
    return r


def page(
    client: TestClient, url: str = ARTICLE, headers: dict[str, str] | None = None, **params: Any
) -> dict[str, Any]:
    r = client.get(f"{API}/comments", params={"url": url, **params}, headers=headers or {})
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return seen_by(data)


def rows(app: FastAPI) -> tuple[int, int]:
    """(comments, stories) in the database, read in a fresh session."""
    with _reading(app) as db:
        return (
            db.scalar(select(func.count()).select_from(Comment)) or 0,
            db.scalar(select(func.count()).select_from(Story)) or 0,
        )


def user_id(client: TestClient, headers: dict[str, str]) -> int:
    r = client.get(f"{API}/me", headers=headers)
    assert r.status_code == 200, r.text
    return int(r.json()["id"])


def set_user(app: FastAPI, uid: int, **values: Any) -> None:
    with state_of(app).write_sessions() as db:
        db.execute(update(User).where(User.id == uid).values(**values))
        db.commit()


def _reading(app: FastAPI) -> Session:
    factory: sessionmaker[Session] = state_of(app).read_sessions
    return factory()


def comment_row(app: FastAPI, comment_id: int) -> Comment | None:
    with _reading(app) as db:
        return db.get(Comment, comment_id)


def story_row(app: FastAPI, url: str = ARTICLE) -> Story | None:
    with _reading(app) as db:
        return db.scalar(select(Story).where(Story.url == url))


@contextmanager
def count_queries(app: FastAPI) -> Iterator[list[str]]:
    """Collect the SQL statements the app runs inside the block."""
    seen: list[str] = []
    engine = state_of(app).engine

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
