"""Builders for account mail: each returns the ``mail.send`` outbox payload.

The payload is plain data (to, subject, text, html) so the job that sends it
needs nothing from the request, and a mail re-tried hours later is the same
mail. Bodies come from ``templates/mail/NAME.txt`` and ``NAME.html``; the
HTML one is autoescaped because the display name is the reader's own text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from rostra.config import Settings

_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent.parent / "templates" / "mail"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,  # a missing variable is a bug, not a blank in a mail
    keep_trailing_newline=True,
)


def _payload(to: str, subject: str, template: str, **context: Any) -> dict[str, str]:
    return {
        "to": to,
        "subject": subject,
        "text": _env.get_template(f"{template}.txt").render(**context),
        "html": _env.get_template(f"{template}.html").render(**context),
    }


def page_link(settings: Settings, page: str, token: str | None = None) -> str:
    query = f"?{urlencode({'token': token})}" if token else ""
    return f"{settings.public_url}/account/{page}{query}"


def verify_email(settings: Settings, to: str, name: str, token: str) -> dict[str, str]:
    return _payload(
        to,
        "Confirm your email address",
        "verify_email",
        name=name,
        token=token,
        link=page_link(settings, "verify-email", token),
    )


def register_existing(settings: Settings, to: str, name: str) -> dict[str, str]:
    return _payload(
        to,
        "Someone tried to register with your address",
        "register_existing",
        name=name,
        reset_link=page_link(settings, "reset-password"),
    )


def password_reset(settings: Settings, to: str, name: str, token: str) -> dict[str, str]:
    return _payload(
        to,
        "Reset your password",
        "password_reset",
        name=name,
        token=token,
        link=page_link(settings, "reset-password", token),
    )
