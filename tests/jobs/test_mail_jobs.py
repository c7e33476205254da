"""The mail.send job: built from the outbox row, sent once, retried on failure."""

from __future__ import annotations

import time
from email.message import EmailMessage
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from rostra.app import make_runner
from rostra.config import Settings
from rostra.http.deps import state_of
from rostra.jobs import outbox
from rostra.jobs.registry import HANDLERS
from rostra.jobs.tasks import MAIL_SEND, build_message
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
    with state_of(app).write_sessions() as db:
        outbox.enqueue(db, MAIL_SEND, payload)
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


def test_handler_is_registered(app: FastAPI) -> None:
    assert MAIL_SEND in HANDLERS  # registered by the composition root (rostra.app)


def test_a_job_without_a_handler_is_refused(db: Session) -> None:
    with pytest.raises(LookupError):
        outbox.enqueue(db, "no.such.topic", {})


def test_an_event_nothing_consumes_writes_no_row(db: Session) -> None:
    outbox.emit(db, "comment.updated", {"comment_id": 1})
    db.flush()
    assert db.scalar(select(OutboxEvent)) is None


def test_job_sends_once(app: FastAPI, jobs: Any, db: Session) -> None:
    state_of(app).backends.mailer = recorder = Recorder()
    enqueue(app, PAYLOAD)
    assert jobs() == 1
    [msg] = recorder.sent
    assert msg["From"] == state_of(app).settings.mail_from
    assert jobs() == 0 and len(recorder.sent) == 1
    row = db.scalar(select(OutboxEvent))
    assert row is not None and row.done_at is not None and row.last_error is None


def test_failed_send_is_kept_for_retry(app: FastAPI, jobs: Any, db: Session) -> None:
    state_of(app).backends.mailer = Recorder(fail=True)
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


def test_a_commit_that_enqueues_wakes_the_runner(app: FastAPI) -> None:
    """A commit that wrote mail makes the runner look at once, not at its next poll."""
    recorder = Recorder()
    state_of(app).backends.mailer = recorder
    runner = make_runner(state_of(app))
    runner.start()
    state_of(app).runner = runner
    try:
        time.sleep(0.2)  # let the first (empty) pass go to sleep
        enqueue(app, PAYLOAD)  # commits; the commit hook wakes the runner
        deadline = time.monotonic() + 10
        while not recorder.sent and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(recorder.sent) == 1
    finally:
        runner.stop()
        state_of(app).runner = None
