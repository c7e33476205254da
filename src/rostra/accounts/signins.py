"""A short-lived cache of sign-in tokens, so that a signed-in reader's read
costs no database round trip to find who they are.

An entry maps a token's hash to the columns of its user, stamped with the
user's *generation*; a change that must end cached sign-ins records
``changed(db, "account", user_id)`` (sign-out, password reset, suspension, a
new display name) and the commit hook that ``rostra.app`` registers moves
that generation on after the commit, so every cached token of the user is
looked up afresh. Entries also expire after ``TTL`` seconds, which bounds
a race between a lookup and a concurrent revocation, and how long an entry
may outlive its token's expiry.

What a lookup answers is a detached ``User``, made per request: public reads
look at it; writes authenticate on their own session (``current_user``).
A failing cache degrades to the database lookup.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from rostra.accounts import repository
from rostra.accounts.tokens import hash_token
from rostra.backends.cache import Cache, get_quietly, set_quietly
from rostra.db.base import UTCDateTime, utcnow
from rostra.db.session import changed
from rostra.models import User

log = logging.getLogger(__name__)

TTL = 30
GENERATION_TTL = 7 * 86_400
_FIELDS = [c for c in User.__table__.columns if c.key != "password_hash"]
# Dates go as ISO text; everything else a user row holds is plain JSON.
_DATES = tuple(c.key for c in _FIELDS if isinstance(c.type, UTCDateTime))
_COLUMNS = tuple(c.key for c in _FIELDS if c.key not in _DATES)


def account_changed(db: Session, user_id: int) -> None:
    """Record that the user's cached sign-ins end when this transaction commits."""
    changed(db, "account", user_id)


class SignIns:
    def __init__(self, cache: Cache) -> None:
        self.cache = cache

    def user_for_token(self, db: Session, token: str) -> User | None:
        """The user of a live token, from the cache when warm (see the module)."""
        token_hash = hash_token(token)
        key = "signin:" + token_hash
        raw = self._get(key)
        if raw is not None:
            entry: dict[str, Any] = json.loads(raw)
            if self._generation(int(entry["id"])) == entry["gen"]:
                return _user(entry)
        now = utcnow()
        user = repository.user_for_token(db, token_hash, now)
        if user is None:
            return None
        entry = {c: getattr(user, c) for c in _COLUMNS}
        entry.update({d: _iso(getattr(user, d)) for d in _DATES})
        entry["gen"] = self._generation(user.id)
        self._set(key, json.dumps(entry).encode(), TTL)
        return user

    def forget(self, user_ids: Iterable[int]) -> None:
        """End the cached sign-ins of these users. Call after the commit."""
        for user_id in user_ids:
            try:
                generation = self.cache.incr(f"account:{user_id}:gen")
                self.cache.set(
                    f"account:{user_id}:gen:current", str(generation).encode(), GENERATION_TTL
                )
            except Exception:  # committed; the entries expire within TTL
                log.exception("cache: could not end the cached sign-ins of user %s", user_id)

    def _generation(self, user_id: int) -> str:
        raw = self._get(f"account:{user_id}:gen:current")
        return raw.decode() if raw is not None else ""

    def _get(self, key: str) -> bytes | None:
        return get_quietly(self.cache, key)

    def _set(self, key: str, value: bytes, ttl: int) -> None:
        set_quietly(self.cache, key, value, ttl)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _user(entry: dict[str, Any]) -> User:
    user = User(**{c: entry[c] for c in _COLUMNS})
    for d in _DATES:
        value = entry[d]
        setattr(user, d, None if value is None else datetime.fromisoformat(value))
    return user
