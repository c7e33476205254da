"""The mail.send job: built from the outbox row, sent once, retried on failure."""

from __future__ import annotations

import time
from email.message import EmailMessage
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from rostra.accounts.tasks import build_message
from rostra.config import Settings
from rostra.jobs import outbox
from rostra.jobs.runner import HANDLERS, JobContext, Runner, wake_runner
from rostra.models import OutboxEvent

PAYLOAD = {
    "to": "reader@example.org",
    "subject": "Hello",
    "text": "Plain words.\n",
    "html": "<p>Plain words.</p>",
}


class Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[EmailMessage] = []
        self.fail = fail

    def send(self, message: EmailMessage) -> None:
        if self.fail:
            raise ConnectionRefusedError("mail server down")
        self.sent.append(message)


def enqueue(app: FastAPI, payload: dict[str, Any]) -> None:
    with app.state.sessionmaker() as db:
        outbox.enqueue(db, "mail.send", payload)
        db.commit()


def test_build_message() -> None:
    msg = build_message(PAYLOAD, "Rostra <noreply@news.example>")
    assert msg["From"] == "Rostra <noreply@news.example>"
    assert msg["To"] == "reader@example.org" and msg["Subject"] == "Hello"
    assert msg["Message-ID"].endswith("@news.example>")
    assert msg.get_body(("plain",)).get_content() == "Plain words.\n"  # type: ignore[union-attr]
    assert msg.get_body(("html",)) is not None
    text_only = build_message({**PAYLOAD, "html": ""}, "noreply@x.example")
    assert not text_only.is_multipart()


def test_handler_is_registered() -> None:
    import rostra.accounts.tasks  # noqa: F401

    assert "mail.send" in HANDLERS


def test_job_sends_once(app: FastAPI, jobs: Any, db: Session) -> None:
    app.state.backends.mailer = recorder = Recorder()
    enqueue(app, PAYLOAD)
    assert jobs() == 1
    [msg] = recorder.sent
    assert msg["From"] == app.state.settings.mail_from
    assert jobs() == 0 and len(recorder.sent) == 1
    row = db.scalar(select(OutboxEvent))
    assert row is not None and row.done_at is not None and row.last_error is None


def test_failed_send_is_kept_for_retry(app: FastAPI, jobs: Any, db: Session) -> None:
    app.state.backends.mailer = Recorder(fail=True)
    enqueue(app, PAYLOAD)
    jobs()
    row = db.scalar(select(OutboxEvent))
    assert row is not None
    assert row.done_at is None and row.attempts == 1
    assert row.last_error is not None and "mail server down" in row.last_error
    assert row.available_at > row.created_at  # backed off, not retried in a tight loop


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"job_poll_seconds": 30})


def test_wake_runner_sends_without_waiting_for_the_poll(app: FastAPI) -> None:
    """After a request commits mail, wake_runner makes the runner look at once."""
    recorder = Recorder()
    app.state.backends.mailer = recorder
    runner = Runner(
        app.state.sessionmaker, JobContext(app.state.settings, app.state.backends), poll_seconds=30
    )
    runner.start()
    app.state.runner = runner
    try:
        time.sleep(0.2)  # let the first (empty) pass go to sleep
        enqueue(app, PAYLOAD)
        wake_runner(app.state)
        deadline = time.monotonic() + 10
        while not recorder.sent and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(recorder.sent) == 1
    finally:
        runner.stop()
        app.state.runner = None
