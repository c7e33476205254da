"""The engine's guard: no NUL (nor a lone surrogate) reaches either database.

PostgreSQL refuses NUL in text (a psycopg ``DataError``, which used to be a
500) and SQLite stores it; with the guard both refuse it the same way, with
422 ``invalid_characters`` naming the column, before the statement is sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from rostra.errors import InvalidCharacters
from rostra.http.deps import ReadSession, WriteSession, state_of
from rostra.jobs import outbox
from rostra.jobs.registry import HANDLERS, Registered, job_session
from rostra.models import OutboxEvent, Site, User
from tests.conftest import run_jobs


def _refused(call: Any, field: str | None) -> None:
    with pytest.raises(InvalidCharacters) as caught:
        call()
    assert caught.value.field == field
    assert caught.value.status == 422


@pytest.mark.parametrize("bad", ["a\x00b", "\x00", "a\ud800"])
def test_every_kind_of_statement(db: Session, bad: str) -> None:
    _refused(lambda: db.scalar(select(User).where(User.email == bad)), "email")
    db.rollback()
    _refused(
        lambda: db.scalars(select(User).where(User.email.in_(["ok@example.org", bad]))).all(),
        "email",
    )
    db.rollback()
    _refused(
        lambda: db.scalar(select(User).where(User.email == "x", User.display_name == bad)),
        "display_name",
    )
    db.rollback()
    db.add_all([User(display_name="fine"), User(display_name=bad)])  # one INSERT, many rows
    _refused(db.flush, "display_name")
    db.rollback()
    _refused(lambda: db.execute(text("SELECT :given"), {"given": bad}), "given")
    db.rollback()
    # Driver SQL has positional values only: no name to give.
    marker = "?" if db.get_bind().dialect.name == "sqlite" else "%s"
    _refused(lambda: db.connection().exec_driver_sql(f"SELECT {marker}", (bad,)), None)
    db.rollback()


def test_json_values_are_looked_into(db: Session) -> None:
    for payload in ({"to": ["a@example.org", "b\x00"]}, {"k\x00": 1}, {"a": {"b": [["\x00"]]}}):
        db.add(OutboxEvent(topic="mail.send", payload=payload))
        _refused(db.flush, "payload")
        db.rollback()


def test_an_update_names_its_column(db: Session) -> None:
    user = User(display_name="Olena")
    db.add(user)
    db.flush()
    user.display_name = "Ole\x00na"
    _refused(db.flush, "display_name")
    db.rollback()


def test_ordinary_text_passes(db: Session) -> None:
    """Tabs, line breaks, other controls the field checks deal with, NBSP,
    emoji and every plane still reach the database as they are."""
    name = "tab\tline\nbell\x07 nbsp\u00a0emoji\U0001f600 cjk漢字 rtl\u202e"
    user = User(display_name=name)
    db.add(user)
    db.flush()
    db.commit()
    assert db.scalar(select(User.display_name).where(User.id == user.id)) == name
    assert db.scalar(text("SELECT :v"), {"v": b"bytes \x00 are bytes"}) is not None


@pytest.fixture
def routes(app: FastAPI) -> Iterator[None]:
    """Endpoints that send what no field check looked at, through the real
    unit of work: a row is written first, so a half-written request shows."""

    @app.post("/test/guard/write")
    def write(db: WriteSession, name: str = "ok") -> dict[str, str]:
        db.add(Site(name="first", title="", origins=["https://first.example"], sso_secret="s"))
        db.flush()
        db.add(Site(name=name, title="", origins=["https://second.example"], sso_secret="s"))
        db.flush()
        return {"status": "ok"}

    @app.post("/test/guard/job")
    def job(db: WriteSession, value: str = "ok") -> dict[str, str]:
        outbox.enqueue(db, "mail.send", {"to": "a@example.org", "text": value})
        return {"status": "ok"}

    @app.get("/test/guard/read")
    def read(db: ReadSession, email: str) -> dict[str, int]:
        return {"found": len(db.scalars(select(User).where(User.email == email)).all())}

    yield


def _count(app: FastAPI, model: type[Any]) -> int:
    with state_of(app).read_sessions() as db:
        return db.scalar(select(func.count()).select_from(model)) or 0


def test_a_write_is_refused_whole(routes: None, client: TestClient, app: FastAPI) -> None:
    r = client.post("/test/guard/write", params={"name": "bad\x00name"})
    assert r.status_code == 422, r.text
    assert r.json() == {
        "error": "invalid_characters",
        "detail": "'name' contains a NUL or another character that cannot be stored.",
        "field": "name",
    }
    assert _count(app, Site) == 0  # the first row was rolled back with the second
    # The connection is fine afterwards (PostgreSQL never saw the statement).
    assert client.post("/test/guard/write", params={"name": "second"}).status_code == 200
    assert _count(app, Site) == 2


def test_a_read_is_refused(routes: None, client: TestClient) -> None:
    r = client.get("/test/guard/read", params={"email": "a\x00@example.org"})
    assert (r.status_code, r.json()["error"], r.json()["field"]) == (
        422,
        "invalid_characters",
        "email",
    )
    assert client.get("/test/guard/read", params={"email": "a@example.org"}).json() == {"found": 0}


def test_a_job_payload_is_refused_with_its_request(
    routes: None, client: TestClient, app: FastAPI
) -> None:
    r = client.post("/test/guard/job", params={"value": "mail\x00"})
    assert (r.status_code, r.json()["field"]) == (422, "payload"), r.text
    assert _count(app, OutboxEvent) == 0


def test_the_runner_records_a_handler_that_writes_nul(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job whose handler writes a NUL fails like any failing job: its
    writes are undone, the failure is recorded (its message, which may quote
    the input, made storable), and the queue goes on."""

    def made_by_the_handler(event: OutboxEvent) -> str:
        # A stored payload cannot hold NUL; what a handler makes of it can.
        return str(event.payload["name"]).replace("<NUL>", "\x00")

    def writes(event: OutboxEvent, _: Any) -> None:
        job_session(event).add(User(display_name=made_by_the_handler(event)))

    def quotes(event: OutboxEvent, _: Any) -> None:
        raise ValueError(f"cannot deliver {made_by_the_handler(event)}")

    monkeypatch.setitem(HANDLERS, "test.writes", Registered(writes, writes=True))
    monkeypatch.setitem(HANDLERS, "test.quotes", Registered(quotes, writes=False))
    with state_of(app).write_sessions() as db:
        for topic, name in (
            ("test.writes", "bad<NUL>"),
            ("test.writes", "fine"),
            ("test.quotes", "odd<NUL>"),
        ):
            outbox.enqueue(db, topic, {"name": name})
        db.commit()
    assert run_jobs(app) == 3
    with state_of(app).read_sessions() as db:
        assert db.scalars(select(User.display_name)).all() == ["fine"]
        rows = db.scalars(select(OutboxEvent).order_by(OutboxEvent.id)).all()
        errors = [(r.done_at is not None, r.last_error) for r in rows]
    assert errors[1] == (True, None)
    assert errors[0][1] is not None and "'display_name' contains a NUL" in errors[0][1]
    assert errors[2][1] == "ValueError: cannot deliver odd\\x00"
