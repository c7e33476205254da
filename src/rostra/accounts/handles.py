"""Handles: every reader's unique, stable ``@handle``.

A handle is 3 to 30 lower-case letters, digits and underscores. One is
suggested from the display name (``suggest``) and given to every new user
that has none when it is first flushed, whatever made it (registration
without a choice, SSO, ``createadmin``); a reader may choose another, at
most once per ``HANDLE_COOLDOWN``.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from datetime import timedelta
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from rostra.errors import Invalid
from rostra.models import User

MIN_LENGTH, MAX_LENGTH = 3, 30
HANDLE_COOLDOWN = timedelta(days=30)
_SHAPE = re.compile(r"[a-z0-9_]{3,30}")
#: Words that would read as the site speaking, or clash with URLs.
RESERVED = frozenset(
    {"admin", "administrator", "moderator", "mod", "staff", "rostra", "me", "support", "system"}
)


def normalise(value: str) -> str:
    """A handle as typed (with or without ``@``, any case) to its stored form."""
    return value.strip().removeprefix("@").lower()


def check(value: str, field: str = "handle") -> str:
    """The stored form of a chosen handle, or 422 ``validation_error`` naming ``field``."""
    handle = normalise(value)
    if not _SHAPE.fullmatch(handle):
        raise Invalid(
            f"'{field}' must be {MIN_LENGTH} to {MAX_LENGTH} letters a-z, digits or underscores.",
            field=field,
        )
    if handle in RESERVED:
        raise Invalid(f"'{field}' is reserved; choose another.", field=field)
    return handle


def base_for(display_name: str) -> str:
    """The handle a display name suggests, before making it unique."""
    ascii_name = unicodedata.normalize("NFKD", display_name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")[:20].strip("_")
    if len(base) < MIN_LENGTH or base in RESERVED:
        base = (base + "_reader") if base else "reader"
    return base


def suggest(db: Session, display_name: str, taken: set[str] | None = None) -> str:
    """A free handle for ``display_name``: its base, else the base with a number."""
    base = base_for(display_name)
    with db.no_autoflush:
        used = set(db.scalars(select(User.handle).where(User.handle.like(f"{base}%"))))
    used |= taken or set()
    if base not in used:
        return base
    for n in range(2, 100):
        candidate = f"{base}{n}"
        if candidate not in used:
            return candidate
    return f"{base}_{secrets.token_hex(3)}"


def is_taken(db: Session, handle: str, besides: int | None = None) -> bool:
    query = select(User.id).where(User.handle == handle)
    if besides is not None:
        query = query.where(User.id != besides)
    return db.scalar(query) is not None


@event.listens_for(Session, "before_flush")
def _give_handles(db: Session, _context: Any, _instances: Any) -> None:
    """Every new user leaves its first flush with a handle."""
    given: set[str] = set()
    for obj in list(db.new):
        if isinstance(obj, User) and not obj.handle:
            obj.handle = suggest(db, obj.display_name or "reader", given)
            given.add(obj.handle)
