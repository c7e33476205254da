"""The request's unit of work: one commit, before the response is sent, then
the after-commit steps; nothing kept, and nothing run, when the endpoint
fails; and a request refused for its input never takes SQLite's write lock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from starlette.types import Message, Receive, Scope, Send

from rostra.db.session import after_commit, changed
from rostra.errors import Invalid
from rostra.http.deps import WriteSession, state_of
from rostra.models import Site
from tests.comments.conftest import API, quick_reader
from tests.factories import ARTICLE, add_site


class Timeline:
    """Records the order of after-commit steps and the response's start."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seen: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.seen.append("response")
            await send(message)

        await self.app(scope, receive, watch)


@pytest.fixture
def timeline(app: FastAPI) -> Iterator[Timeline]:
    seen = Timeline(None)

    def make(inner: Any) -> Timeline:
        seen.app = inner
        return seen

    @app.post("/test/write")
    def write(db: WriteSession, fail: bool = False) -> dict[str, str]:
        db.add(Site(name="uow", title="", origins=["https://uow.example"], sso_secret="s"))
        db.flush()
        after_commit(db, lambda: seen.seen.append("after commit"))
        changed(db, "story", 7)
        if fail:
            raise Invalid("refused after writing")
        return {"status": "ok"}

    app.add_middleware(make)
    state_of(app).hooks.on("story", lambda keys: seen.seen.append(f"story {sorted(keys)}"))
    yield seen


def _sites(app: FastAPI) -> int:
    with state_of(app).read_sessions() as db:
        return db.scalar(select(func.count()).select_from(Site)) or 0


# ``timeline`` comes before ``client``: middleware is added before the app starts.
def test_commits_before_the_response_then_runs_the_steps(
    timeline: Timeline, client: TestClient, app: FastAPI
) -> None:
    assert client.post("/test/write").status_code == 200
    assert _sites(app) == 1
    assert timeline.seen == ["after commit", "story [7]", "response"]


def test_an_error_keeps_nothing_and_runs_nothing(
    timeline: Timeline, client: TestClient, app: FastAPI
) -> None:
    r = client.post("/test/write", params={"fail": True})
    assert r.status_code == 422
    assert _sites(app) == 0
    assert timeline.seen == ["response"]


@pytest.fixture
def write_begins(app: FastAPI) -> Iterator[list[str]]:
    """Every BEGIN IMMEDIATE (a SQLite write transaction) the app starts."""
    engine = state_of(app).engine
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL has no database-wide write lock")
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("BEGIN IMMEDIATE"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


@pytest.mark.parametrize(
    "body",
    [
        {"url": ARTICLE, "body": "   "},  # body_empty
        {"url": "https://elsewhere.example/a", "body": "hi"},  # url_not_allowed
        {"url": ARTICLE, "body": "hi", "parent_id": "1"},  # validation_error
    ],
)
def test_a_refused_post_takes_no_write_lock(
    client: TestClient, app: FastAPI, write_begins: list[str], body: dict[str, Any]
) -> None:
    add_site(app)
    reader = quick_reader(app)
    write_begins.clear()
    r = client.post(f"{API}/comments", json=body, headers=reader)
    assert 400 <= r.status_code < 500, r.text
    assert write_begins == []


def test_a_rate_limited_post_takes_no_write_lock(
    client: TestClient, app: FastAPI, write_begins: list[str]
) -> None:
    state = state_of(app)
    state.settings = state.settings.model_copy(
        update={"rate_limit_enabled": True, "rate_post": "1/60"}
    )
    add_site(app)
    reader = quick_reader(app)
    write_begins.clear()
    r = client.post(f"{API}/comments", json={"url": ARTICLE, "body": "one"}, headers=reader)
    assert r.status_code == 201
    assert write_begins == ["BEGIN IMMEDIATE"]
    r = client.post(f"{API}/comments", json={"url": ARTICLE, "body": "two"}, headers=reader)
    assert r.status_code == 429
    assert write_begins == ["BEGIN IMMEDIATE"]
