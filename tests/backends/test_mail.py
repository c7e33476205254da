"""Mail leaves for real: to an SMTP server (aiosmtpd) or to the outbox folder."""

from __future__ import annotations

import email
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rostra.backends.mail import FolderMailer, SMTPMailer, make_mailer
from rostra.config import ConfigError, Settings
from rostra.http.deps import state_of
from tests.factories import register
from tests.livesrv import free_port


class Sink:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Sink, int]]:
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


class TestSMTP:
    @pytest.fixture
    def settings(self, settings: Settings, smtp_server: tuple[Sink, int]) -> Settings:
        return settings.model_copy(
            update={
                "smtp_url": f"smtp://127.0.0.1:{smtp_server[1]}",
                "mail_from": "Courier comments <comments@courier.example>",
            }
        )

    def test_verification_mail_reaches_the_smtp_server(
        self, client: TestClient, app: FastAPI, jobs: Any, smtp_server: tuple[Sink, int]
    ) -> None:
        sink, _ = smtp_server
        assert isinstance(state_of(app).backends.mailer, SMTPMailer)
        register(client, email="smtp@example.org", display_name="Mykola")
        assert jobs() == 1
        [envelope] = sink.envelopes
        assert envelope.mail_from == "comments@courier.example"
        assert envelope.rcpt_tos == ["smtp@example.org"]
        msg = email.message_from_bytes(envelope.content, policy=default)
        assert msg["Subject"] == "Confirm your email address"
        assert msg["From"] == "Courier comments <comments@courier.example>"
        assert msg["Message-ID"]
        text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
        assert "http://rostra.test/account/verify-email?token=" in text
        assert "Mykola" in text and "verify-email?token=" in html
        # Sent once: running the jobs again sends nothing more.
        assert jobs() == 0 and len(sink.envelopes) == 1


def test_smtp_url_must_be_understood() -> None:
    for url in ("http://mail.example", "smtp://", "mail.example:25"):
        with pytest.raises(ConfigError):
            SMTPMailer(url)
    mailer = SMTPMailer("smtp+starttls://us%40er:p%3Ass@mail.example")
    assert (mailer.host, mailer.port, mailer.username, mailer.password) == (
        "mail.example",
        587,
        "us@er",
        "p:ss",
    )
    assert SMTPMailer("smtps://mail.example").port == 465


def test_folder_mailer_is_the_default(settings: Settings) -> None:
    mailer = make_mailer(settings)
    assert isinstance(mailer, FolderMailer)
    assert mailer.folder == settings.data_dir / "mail-outbox"


def test_folder_mailer_writes_whole_eml_files(tmp_path: Path) -> None:
    mailer = FolderMailer(tmp_path / "outbox")
    for n in range(3):
        msg = EmailMessage()
        msg["To"], msg["From"], msg["Subject"] = "a@example.org", "r@example.org", f"n{n}"
        msg.set_content("Hello")
        mailer.send(msg)
    files = sorted((tmp_path / "outbox").iterdir())
    assert len(files) == 3 and all(f.suffix == ".eml" for f in files)
    subjects = {email.message_from_bytes(f.read_bytes(), policy=default)["Subject"] for f in files}
    assert subjects == {"n0", "n1", "n2"}


def test_register_mail_lands_in_the_outbox_folder(
    client: TestClient, settings: Settings, jobs: Any
) -> None:
    register(client, email="folder@example.org")
    jobs()
    [path] = (settings.data_dir / "mail-outbox").glob("*.eml")
    msg = email.message_from_bytes(path.read_bytes(), policy=default)
    assert msg["To"] == "folder@example.org"
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "http://rostra.test/account/verify-email?token=" in text
