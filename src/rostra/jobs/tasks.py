"""The outbox handler that belongs to no domain: sending a mail that any
part of Rostra built.

``mail.send`` payloads are ``{"to", "subject", "text", "html"?, "headers"?}``
(see ``rostra.accounts.mail`` for builders); a failure raises, and the
runner retries the row with back-off.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from rostra.jobs.registry import JobContext, handles
from rostra.models import OutboxEvent

MAIL_SEND = "mail.send"


def build_message(payload: dict[str, Any], sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = payload["to"]
    msg["Subject"] = payload["subject"]
    msg["Date"] = formatdate(localtime=False)
    domain = sender.rpartition("@")[2].rstrip(">").strip() or "localhost"
    msg["Message-ID"] = make_msgid(domain=domain)
    for name, value in (payload.get("headers") or {}).items():
        msg[name] = value
    msg.set_content(payload["text"])
    if payload.get("html"):
        msg.add_alternative(payload["html"], subtype="html")
    return msg


@handles(MAIL_SEND)
def send_mail(event: OutboxEvent, ctx: JobContext) -> None:
    ctx.backends.mailer.send(build_message(event.payload, ctx.settings.mail_from))
