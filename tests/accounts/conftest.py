"""Helpers for account tests: reading mail from the outbox, pulling tokens out."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from rostra.config import Settings
from rostra.http.deps import state_of
from rostra.models import OutboxEvent
from tests.conftest import run_jobs

TOKEN = re.compile(r"[?&]token=([A-Za-z0-9_\-]+)")


@pytest.fixture
def db(app: FastAPI) -> Iterator[Session]:
    """A reading session (deferred BEGIN on SQLite), so that a test that looks at
    the database between requests does not hold the write lock the app needs.
    Writes through it still work; call ``db.commit()`` after them."""
    with state_of(app).read_sessions() as session:
        yield session


def mails(app: FastAPI, to: str | None = None) -> list[dict[str, Any]]:
    """Every ``mail.send`` payload in the outbox, oldest first (optionally to one
    address), after the jobs that write mails (password resets) have run."""
    run_jobs(app)
    with state_of(app).read_sessions() as db:
        rows = db.scalars(
            select(OutboxEvent).where(OutboxEvent.topic == "mail.send").order_by(OutboxEvent.id)
        )
        found = [dict(r.payload) for r in rows]
    return [m for m in found if to is None or m["to"] == to]


def token_in(mail: dict[str, Any]) -> str:
    match = TOKEN.search(mail["text"])
    assert match, mail["text"]
    return match.group(1)


@pytest.fixture
def limited(settings: Settings) -> Settings:
    """Settings with rate limits on and small: 3 logins, 2 registrations, 2 mails."""
    return settings.model_copy(
        update={
            "rate_limit_enabled": True,
            "rate_login": "3/60",
            "rate_register": "2/60",
            "rate_mail": "2/60",
        }
    )
