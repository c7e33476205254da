"""Opaque keyset cursors: base64url of a small JSON object.

A cursor names the last row a client has seen by its sort key and id, so
the next page starts strictly after it: no gaps and no duplicates when
comments arrive between pages (unlike OFFSET). Clients must not look
inside; anything malformed is a 422 naming the ``cursor`` parameter.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rostra.errors import Invalid

MAX_CURSOR_LENGTH = 512


@dataclass(frozen=True)
class Cursor:
    kind: str  # a sort ("newest", "oldest", "top") or "replies"
    key: int | datetime  # like_count for "top", created_at otherwise
    id: int


def encode(kind: str, key: int | datetime, id_: int) -> str:
    # Times travel as integer microseconds since the epoch: exact, and no
    # time-zone or format questions on the way back.
    raw_key = _micros(key) if isinstance(key, datetime) else key
    data = json.dumps({"k": kind, "v": raw_key, "i": id_}, separators=(",", ":"))
    return base64.urlsafe_b64encode(data.encode()).rstrip(b"=").decode()


def decode(value: str, kind: str) -> Cursor:
    """Read a cursor made by :func:`encode` for the same ``kind`` or raise 422."""
    try:
        if len(value) > MAX_CURSOR_LENGTH:
            raise ValueError("too long")
        padded = value + "=" * (-len(value) % 4)
        data: Any = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if not isinstance(data, dict) or data.get("k") != kind:
            raise ValueError("not a cursor for this list")
        raw, id_ = data.get("v"), data.get("i")
        if (
            not isinstance(raw, int)
            or not isinstance(id_, int)
            or not (_is_int(raw) and _is_int(id_))
        ):
            raise ValueError("bad cursor fields")
        key: int | datetime = raw if kind == "top" else _from_micros(raw)
        return Cursor(kind, key, id_)
    except (ValueError, UnicodeError, binascii.Error, OverflowError, OSError) as exc:
        raise Invalid(
            "The cursor is not one this server gave out for this list.", field="cursor"
        ) from exc


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**62


def _micros(value: datetime) -> int:
    delta = value.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _from_micros(value: int) -> datetime:
    seconds, micros = divmod(value, 1_000_000)
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=micros)
