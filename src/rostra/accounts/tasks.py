"""Outbox handlers for account mail.

``mail.send`` payloads are ``{"to", "subject", "text", "html"?}``; any part of
Rostra may enqueue one (see ``rostra.accounts.mail`` for the builders).
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from rostra.accounts import service
from rostra.jobs.runner import JobContext, handles, job_session
from rostra.models import OutboxEvent


def build_message(payload: dict[str, str], sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = payload["to"]
    msg["Subject"] = payload["subject"]
    msg["Date"] = formatdate(localtime=False)
    domain = sender.rpartition("@")[2].rstrip(">").strip() or "localhost"
    msg["Message-ID"] = make_msgid(domain=domain)
    msg.set_content(payload["text"])
    if payload.get("html"):
        msg.add_alternative(payload["html"], subtype="html")
    return msg


@handles("mail.send")
def send_mail(event: OutboxEvent, ctx: JobContext) -> None:
    # A failure raises, and the runner retries the row with back-off.
    ctx.backends.mailer.send(build_message(event.payload, ctx.settings.mail_from))


@handles(service.PASSWORD_RESET_TOPIC, writes=True)
def password_reset(event: OutboxEvent, ctx: JobContext) -> None:
    service.prepare_password_reset(job_session(event), ctx.settings, event.payload["email"])
