"""Reply and mention mail: at once or in the daily digest, through a real SMTP
server; only to confirmed addresses; user text escaped; the signed one-click
unsubscribe; never lost or sent twice across a runner that dies mid-batch."""

from __future__ import annotations

import email
from datetime import timedelta
from email.message import EmailMessage
from email.policy import default
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from rostra.app import job_context
from rostra.config import Settings
from rostra.db.base import utcnow
from rostra.http.deps import state_of
from rostra.jobs.runner import run_once
from rostra.models import OutboxEvent
from rostra.social import notify
from tests.backends.test_mail import Sink, smtp_server  # noqa: F401
from tests.comments.conftest import post
from tests.factories import add_site
from tests.social.conftest import API, me, named


@pytest.fixture
def settings(settings: Settings, smtp_server: tuple[Sink, int]) -> Settings:  # noqa: F811
    return settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{smtp_server[1]}"})


@pytest.fixture
def sink(smtp_server: tuple[Sink, int]) -> Sink:  # noqa: F811
    return smtp_server[0]


@pytest.fixture(autouse=True)
def _site(app: FastAPI) -> None:
    add_site(app, fetch_metadata=False)  # no page fetches among the jobs counted here


def _messages(sink: Sink) -> list[EmailMessage]:
    out: list[EmailMessage] = []
    for envelope in sink.envelopes:
        msg = email.message_from_bytes(envelope.content, policy=default)
        assert isinstance(msg, EmailMessage)
        out.append(msg)
    return out


def _verified(app: FastAPI, name: str, mode: str | None = None) -> dict[str, str]:
    who = named(app, name, email_verified_at=utcnow())
    if mode:
        with TestClient(app, base_url="http://rostra.test") as c:
            assert c.patch(f"{API}/me", json={"mail_mode": mode}, headers=who).status_code == 200
    return who


def _parts(msg: EmailMessage) -> tuple[str, str]:
    text = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content())


def test_a_reply_is_mailed_at_once_escaped_with_one_click_unsubscribe(
    app: FastAPI, client: TestClient, sink: Sink, jobs: Any
) -> None:
    a = _verified(app, "Anna", "immediate")
    b = named(app, "Boris <b>the bold</b>")
    top = post(client, a, "Top.").json()
    post(client, b, "Yes <script>alert(1)</script> & *more*", parent_id=top["id"])
    jobs()
    [msg] = _messages(sink)
    assert msg["To"] == me(client, a)["email"]
    assert "Boris <b>the bold</b> replied to you" in msg["Subject"]
    text, html = _parts(msg)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Boris &lt;b&gt;the bold&lt;/b&gt;" in html
    assert "Yes <script>alert(1)</script> & more" in text  # plain text stays plain
    assert f"/thread/{top['id']}#comment-" in text
    link = msg["List-Unsubscribe"].strip().strip("<>")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link in text and link.replace("&", "&amp;") in html
    # The link works signed out: a GET asks, the POST unsubscribes.
    path = urlsplit(link)
    page = client.get(f"{path.path}?{path.query}")
    assert page.status_code == 200 and "Unsubscribe" in page.text
    query = {k: v[0] for k, v in parse_qs(path.query).items()}
    assert me(client, a)["mail_mode"] == "immediate"  # a GET changes nothing
    done = client.post("/mail/unsubscribe", data=query)
    assert done.status_code == 200 and "You are unsubscribed" in done.text
    assert me(client, a)["mail_mode"] == "off"
    post(client, b, "Another.", parent_id=top["id"])
    jobs()
    assert len(sink.envelopes) == 1  # no more mail
    assert len(client.get(f"{API}/notifications", headers=a).json()["items"]) == 2


def test_mail_programs_unsubscribe_with_one_post(
    app: FastAPI, client: TestClient, sink: Sink, jobs: Any
) -> None:
    a = _verified(app, "Anna", "immediate")
    b = named(app, "Boris")
    top = post(client, a, "Top.").json()
    post(client, b, "Hi @anna")
    post(client, b, "Reply.", parent_id=top["id"])
    jobs()
    assert [m["Subject"].split(" on ")[0] for m in _messages(sink)] == [
        "Boris mentioned you",
        "Boris replied to you",
    ]
    link = _messages(sink)[0]["List-Unsubscribe"].strip().strip("<>")
    path = urlsplit(link)
    r = client.post(f"{path.path}?{path.query}", data={"List-Unsubscribe": "One-Click"})
    assert r.status_code == 200 and me(client, a)["mail_mode"] == "off"
    uid = me(client, a)["id"]
    for bad in (f"u={uid}&t=forged", f"u={uid + 1}&t={parse_qs(path.query)['t'][0]}", "u=x&t=y"):
        assert client.post(f"/mail/unsubscribe?{bad}").status_code in (400, 422), bad
    assert client.get(f"/mail/unsubscribe?u={uid}&t=forged").status_code == 400


def test_nothing_is_mailed_to_an_unconfirmed_address(
    app: FastAPI, client: TestClient, sink: Sink, jobs: Any
) -> None:
    a = named(app, "Anna")  # no confirmed address
    client.patch(f"{API}/me", json={"mail_mode": "immediate"}, headers=a)
    b = named(app, "Boris")
    top = post(client, a, "Top.").json()
    post(client, b, "Reply.", parent_id=top["id"])
    jobs()
    assert sink.envelopes == []
    assert len(client.get(f"{API}/notifications", headers=a).json()["items"]) == 1


def _due_now(app: FastAPI) -> None:
    with state_of(app).write_sessions() as db:
        db.execute(
            update(OutboxEvent)
            .where(OutboxEvent.topic == notify.DIGEST_TOPIC, OutboxEvent.done_at.is_(None))
            .values(available_at=utcnow() - timedelta(seconds=1))
        )
        db.commit()


def _pending_digests(app: FastAPI) -> list[OutboxEvent]:
    with state_of(app).read_sessions() as db:
        return list(
            db.scalars(
                select(OutboxEvent).where(
                    OutboxEvent.topic == notify.DIGEST_TOPIC, OutboxEvent.done_at.is_(None)
                )
            )
        )


def test_the_daily_digest_is_the_default_and_sends_each_item_once(
    app: FastAPI, client: TestClient, sink: Sink, jobs: Any, settings: Settings
) -> None:
    a = _verified(app, "Anna")  # digest by default
    b, c = named(app, "Boris"), named(app, "Chen")
    top = post(client, a, "Top.").json()
    post(client, b, "First reply.", parent_id=top["id"])
    post(client, c, "Hello @anna.")
    jobs()
    assert sink.envelopes == []  # waits for the digest hour
    [pending] = _pending_digests(app)
    assert pending.available_at > utcnow()
    assert pending.available_at.hour == settings.digest_hour
    post(client, c, "Second reply.", parent_id=top["id"])
    jobs()
    assert len(_pending_digests(app)) == 1  # one pass, however many notifications
    read = client.get(f"{API}/notifications", headers=a).json()["items"]
    client.post(f"{API}/notifications/read", json={"ids": [read[0]["id"]]}, headers=a)
    _due_now(app)
    jobs()
    [msg] = _messages(sink)
    assert msg["Subject"] == "2 replies and mentions for you"
    text, _ = _parts(msg)
    assert "First reply." in text and "Hello @anna." in text
    assert "Second reply." not in text  # read on the site already: not mailed
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # Tomorrow's pass is waiting, and it has nothing left to send.
    [tomorrow] = _pending_digests(app)
    assert tomorrow.available_at > utcnow()
    _due_now(app)
    jobs()
    assert len(sink.envelopes) == 1


class Crash(BaseException):
    """The process dies: not an error the runner records, it just stops."""


class DiesOnThird:
    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls = 0

    def send(self, message: EmailMessage) -> None:
        self.calls += 1
        if self.calls == 3:
            raise Crash()
        self.inner.send(message)


def test_a_runner_that_dies_mid_batch_loses_and_doubles_nothing(
    app: FastAPI, client: TestClient, sink: Sink, jobs: Any
) -> None:
    readers = [_verified(app, f"Reader {n}", "immediate") for n in range(5)]
    b = named(app, "Boris")
    tops = [post(client, who, "Top.").json() for who in readers]
    for top in tops:
        post(client, b, "A reply.", parent_id=top["id"])
    state = state_of(app)
    real = state.backends.mailer
    state.backends.mailer = DiesOnThird(real)
    ctx = job_context(state)
    with pytest.raises(Crash):
        while run_once(state.write_sessions, ctx) > 0:
            pass
    assert len(sink.envelopes) == 2
    with state.read_sessions() as db:
        left = list(
            db.scalars(
                select(OutboxEvent).where(
                    OutboxEvent.topic == "mail.send", OutboxEvent.done_at.is_(None)
                )
            )
        )
    assert len(left) == 3 and all(e.locked_until is not None for e in left)
    # A new runner, once the dead one's lease has run out.
    state.backends.mailer = real
    with state.write_sessions() as db:
        db.execute(
            update(OutboxEvent)
            .where(OutboxEvent.done_at.is_(None))
            .values(locked_until=utcnow() - timedelta(seconds=1))
        )
        db.commit()
    jobs()
    jobs()
    recipients = sorted(rcpt for e in sink.envelopes for rcpt in e.rcpt_tos)
    assert len(recipients) == 5 and len(set(recipients)) == 5
