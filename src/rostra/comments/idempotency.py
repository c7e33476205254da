"""``Idempotency-Key`` for posting: a retried submit gets the first answer.

The first answer (status and JSON) is stored in the same transaction as the
comment, so it exists exactly when the comment does. A second request with
the same key and the same body replays it; the same key with another body
is a client bug and gets 409. Two concurrent first attempts collide on the
unique (user, key) constraint; the loser rolls back and replays the winner.
"""

from __future__ import annotations

import hashlib
import json

from fastapi import Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from rostra.comments import repository
from rostra.comments.errors import IdempotencyKeyReused
from rostra.db.base import utcnow
from rostra.errors import Invalid
from rostra.text import has_forbidden_characters

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def check_key(value: str) -> str:
    if not value or len(value) > MAX_KEY_LENGTH or has_forbidden_characters(value):
        raise Invalid(
            f"'{HEADER}' must be 1 to {MAX_KEY_LENGTH} printable characters.", field=HEADER
        )
    return value


def request_hash(data: BaseModel) -> str:
    """SHA-256 of the request body in canonical form (validated, defaults
    filled, keys sorted), so formatting differences are the same request."""
    canonical = json.dumps(
        data.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def replay(db: Session, user_id: int, key: str, digest: str) -> Response | None:
    """The stored answer for this key, None if there is none, 409 if the key
    was used for a different request."""
    row = repository.idempotency_key(db, user_id, key)
    if row is None:
        return None
    if row.request_hash != digest:
        raise IdempotencyKeyReused()
    return Response(
        row.response_body,
        status_code=row.status_code,
        media_type="application/json",
        headers={"Idempotent-Replayed": "true"},
    )


def remember(
    db: Session, user_id: int, key: str, digest: str, status_code: int, body: bytes
) -> None:
    repository.save_idempotency_key(db, user_id, key, digest, status_code, body.decode(), utcnow())
