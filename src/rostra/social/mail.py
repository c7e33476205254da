"""Notification mail: replies and mentions, one at a time or in a daily digest.

Each builder returns a ``mail.send`` outbox payload (``rostra.jobs.tasks``):
plain text and HTML (autoescaped: names, titles and comment text are
readers' own), and the one-click unsubscribe of RFC 8058 — a signed link
that works signed out, and the ``List-Unsubscribe`` /
``List-Unsubscribe-Post`` headers that mail programs show as a button.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from rostra.config import Settings

_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent.parent / "templates" / "mail"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)
_BLOCK_TAG = re.compile(r"</?(?:p|br|li|ul|ol|blockquote|pre)\b[^>]*>")
_TAG = re.compile(r"<[^>]+>")
EXCERPT = 280


@dataclass(frozen=True)
class Item:
    """One notification as a mail tells it."""

    kind: str  # "reply" or "mention"
    actor: str
    story_title: str
    excerpt: str
    link: str


def excerpt(html: str) -> str:
    """A comment's text for a mail: tags dropped, entities read, cut short."""
    text = " ".join(unescape(_TAG.sub("", _BLOCK_TAG.sub(" ", html))).split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"


def _signature(settings: Settings, user_id: int) -> str:
    message = f"unsubscribe:{user_id}".encode()
    return hmac.new(settings.secret_key.encode(), message, hashlib.sha256).hexdigest()[:32]


def unsubscribe_link(settings: Settings, user_id: int) -> str:
    query = urlencode({"u": user_id, "t": _signature(settings, user_id)})
    return f"{settings.public_url}/mail/unsubscribe?{query}"


def check_unsubscribe(settings: Settings, user_id: int, token: str) -> bool:
    return hmac.compare_digest(_signature(settings, user_id), token)


def _payload(
    settings: Settings, to: str, user_id: int, subject: str, template: str, **context: Any
) -> dict[str, Any]:
    link = unsubscribe_link(settings, user_id)
    context = {**context, "unsubscribe": link, "settings_note": "notification mail"}
    return {
        "to": to,
        "subject": subject,
        "text": _env.get_template(f"{template}.txt").render(**context),
        "html": _env.get_template(f"{template}.html").render(**context),
        "headers": {
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    }


def _subject(item: Item) -> str:
    said = "replied to you" if item.kind == "reply" else "mentioned you"
    return f"{item.actor} {said} on “{item.story_title}”"[:200]


def one(settings: Settings, to: str, user_id: int, name: str, item: Item) -> dict[str, Any]:
    return _payload(settings, to, user_id, _subject(item), "notification", name=name, item=item)


def digest(
    settings: Settings, to: str, user_id: int, name: str, items: list[Item]
) -> dict[str, Any]:
    subject = (
        _subject(items[0]) if len(items) == 1 else f"{len(items)} replies and mentions for you"
    )
    return _payload(settings, to, user_id, subject, "digest", name=name, items=items)
