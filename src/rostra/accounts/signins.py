"""A short-lived cache of sign-in tokens, so that a signed-in reader's read
costs no database round trip to find who they are.

An entry maps a token's hash to the columns of its user, stamped with the
user's *generation* and the session's expiry; a change that must end cached
sign-ins records ``changed(db, "account", user_id)`` (sign-out, password
reset, suspension, a new display name) and the commit hook that
``rostra.app`` registers moves that generation on after the commit, so
every cached token of the user is looked up afresh. An entry is used only
while its session has not expired.

Exactness rests on the order of ``rostra.stories.cache``: the generation is
read *before* the database is, so an entry built from a row older than a
commit carries a generation that this commit has retired. The user's id
must be known for that, before the lookup that finds it: so the first
lookup of a token only remembers whose it is (a session's user never
changes), and the entry is kept from the next one on. Entries also expire
after ``TTL`` seconds, for changes made behind the services' back.

What a lookup answers is a detached ``User``, made per request: public reads
look at it; writes authenticate on their own session (``current_user``).
The lean front checks a cached entry without a database session at all
(``entry_key``, ``parse``, ``generation_key``, ``Entry.current``).
A failing cache degrades to the database lookup.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
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
#: How long whose a token is stays known (its session's user never changes).
USER_ID_TTL = 86_400
_FIELDS = [c for c in User.__table__.columns if c.key != "password_hash"]
# Dates go as ISO text; everything else a user row holds is plain JSON.
_DATES = tuple(c.key for c in _FIELDS if isinstance(c.type, UTCDateTime))
_COLUMNS = tuple(c.key for c in _FIELDS if c.key not in _DATES)


def account_changed(db: Session, user_id: int) -> None:
    """Record that the user's cached sign-ins end when this transaction commits."""
    changed(db, "account", user_id)


@dataclass(frozen=True)
class Entry:
    """A cached sign-in, as stored (``parse``)."""

    user_id: int
    generation: str
    #: The session's expiry, in seconds since the epoch.
    expires: float
    fields: dict[str, Any]

    def current(self, raw_generation: bytes | None, now: float | None = None) -> bool:
        """Whether the entry still holds, given the user's generation as read
        from the cache (``generation_key``) and the time (now if None)."""
        generation = raw_generation.decode() if raw_generation is not None else ""
        moment = time.time() if now is None else now
        return generation == self.generation and moment < self.expires


def entry_key(token: str) -> str:
    """The cache key of a token's entry."""
    return "signin:" + hash_token(token)


def generation_key(user_id: int) -> str:
    return f"account:{user_id}:gen:current"


def parse(raw: bytes) -> Entry | None:
    """A stored entry, or None for one in an older format."""
    entry: dict[str, Any] = json.loads(raw)
    if "exp" not in entry:
        return None
    return Entry(int(entry["id"]), str(entry["gen"]), float(entry["exp"]), entry)


class SignIns:
    def __init__(self, cache: Cache) -> None:
        self.cache = cache

    def user_for_token(self, db: Session, token: str) -> User | None:
        """The user of a live token, from the cache when warm (see the module)."""
        token_hash = hash_token(token)
        key = "signin:" + token_hash
        raw = self._get(key)
        entry = parse(raw) if raw is not None else None
        known: int | None = None
        if entry is not None:
            known = entry.user_id
            raw_generation = self._get(generation_key(known))
            if entry.current(raw_generation):
                return _user(entry.fields)
        else:
            raw_id = self._get(_user_id_key(token_hash))
            known = int(raw_id) if raw_id is not None else None
            raw_generation = self._get(generation_key(known)) if known is not None else None
        # The generation was read above, before the database is.
        found = repository.user_and_expiry_for_token(db, token_hash, utcnow())
        if found is None:
            return None
        user, expires_at = found
        if known != user.id:
            # Whose the token is, for the next lookup to keep an entry of it.
            self._set(_user_id_key(token_hash), str(user.id).encode(), USER_ID_TTL)
            return user
        fields: dict[str, Any] = {c: getattr(user, c) for c in _COLUMNS}
        fields.update({d: _iso(getattr(user, d)) for d in _DATES})
        fields["gen"] = raw_generation.decode() if raw_generation is not None else ""
        fields["exp"] = expires_at.timestamp()
        self._set(key, json.dumps(fields).encode(), TTL)
        return user

    def forget(self, user_ids: Iterable[int]) -> None:
        """End the cached sign-ins of these users. Call after the commit."""
        for user_id in user_ids:
            try:
                generation = self.cache.incr(f"account:{user_id}:gen")
                self.cache.set(generation_key(user_id), str(generation).encode(), GENERATION_TTL)
            except Exception:  # committed; the entries expire within TTL
                log.exception("cache: could not end the cached sign-ins of user %s", user_id)

    def _get(self, key: str) -> bytes | None:
        return get_quietly(self.cache, key)

    def _set(self, key: str, value: bytes, ttl: int) -> None:
        set_quietly(self.cache, key, value, ttl)


def _user_id_key(token_hash: str) -> str:
    return "signin-user:" + token_hash


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _user(entry: dict[str, Any]) -> User:
    user = User(**{c: entry[c] for c in _COLUMNS})
    for d in _DATES:
        value = entry[d]
        setattr(user, d, None if value is None else datetime.fromisoformat(value))
    return user
