"""Sending mail: to a folder of .eml files by default, to SMTP when configured.

Mail is never sent from a request: the request writes an outbox row and the
job runner calls a mailer, so a slow or failing mail server cannot slow or
fail a sign-up, and a failed send is retried.
"""

from __future__ import annotations

import smtplib
import ssl
import time
import uuid
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from rostra.config import ConfigError, Settings


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class FolderMailer:
    """Writes each message to DATA_DIR/mail-outbox/ for the operator to read."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}.eml"
        tmp = self.folder / (name + ".tmp")
        tmp.write_bytes(bytes(message))
        tmp.rename(self.folder / name)  # readers never see half a message


class SMTPMailer:
    def __init__(self, url: str, timeout: float = 20.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps", "smtp+starttls") or not parts.hostname:
            raise ConfigError(
                "ROSTRA_SMTP_URL must look like smtp://user:pass@host:587 "
                "(or smtp+starttls://, smtps://)"
            )
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or {"smtps": 465, "smtp+starttls": 587}.get(parts.scheme, 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout

    def send(self, message: EmailMessage) -> None:
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.scheme == "smtps":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with smtp:
            if self.scheme == "smtp+starttls":
                smtp.starttls(context=context)
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)


def make_mailer(settings: Settings) -> Mailer:
    if settings.smtp_url:
        return SMTPMailer(settings.smtp_url)
    return FolderMailer(settings.mail_outbox_dir)
