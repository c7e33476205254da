"""Claims: "being decided by NAME" on a card another moderator has open.

A moderator who focuses a card claims it for ``TTL`` seconds (their desk
renews the claim while the card stays focused); the claim lives in the
shared cache (Redis across processes) and is told to every desk of the site
on its live channel. It ends when its holder moves on or decides, or when it
expires. A claim only informs: it never blocks a decision — the decision
itself refuses a stale view (409 ``already_decided``).

A claim is taken with the cache's atomic ``add`` (Redis ``SET NX``): of two
moderators focusing a card at the same instant, one holds it and the other
is told whose it is. Renewing one's own claim is a plain write.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass

from sqlalchemy.orm import Session

from rostra.backends.cache import Cache, get_quietly, set_quietly
from rostra.comments import moderate
from rostra.models import User
from rostra.moderation import service as moderation

log = logging.getLogger(__name__)

TTL = 45


@dataclass(frozen=True)
class Claim:
    comment_id: int
    user_id: int
    name: str
    until: float  # seconds since the epoch

    def data(self) -> dict[str, object]:
        return {"id": self.comment_id, "by": self.user_id, "name": self.name, "until": self.until}


def _key(comment_id: int) -> str:
    return f"desk:claim:{comment_id}"


def _read(raw: bytes | None, comment_id: int, now: float) -> Claim | None:
    if not raw:
        return None
    try:
        data = json.loads(raw)
        found = Claim(comment_id, int(data["by"]), str(data["name"]), float(data["until"]))
    except (ValueError, KeyError, TypeError):
        return None
    return found if found.until > now else None


def held(cache: Cache, comment_ids: list[int]) -> dict[int, Claim]:
    """The live claims on these comments."""
    if not comment_ids:
        return {}
    keys = [_key(i) for i in comment_ids]
    try:
        values = cache.get_many(keys)
    except Exception:  # a failing cache degrades: no card is marked
        return {}
    now = time.time()
    out = {}
    for comment_id, raw in zip(comment_ids, values, strict=True):
        found = _read(raw, comment_id, now)
        if found is not None:
            out[comment_id] = found
    return out


def claim(db: Session, cache: Cache, actor: User, comment_id: int) -> Claim:
    """Claim the comment for the actor, or answer whose claim it is."""
    site_id = moderate.site_of(db, comment_id)
    moderation.require_moderator(db, actor, site_id)
    now = time.time()
    key = _key(comment_id)
    mine = Claim(comment_id, actor.id, actor.display_name, now + TTL)
    value = json.dumps(mine.data()).encode()
    current = _read(get_quietly(cache, key), comment_id, now)
    if current is None:
        try:
            taken = cache.add(key, value, TTL)
        except Exception:  # a failing cache degrades: the claim is not kept
            log.exception("cache: could not claim comment %s", comment_id)
            taken = True
        if not taken:  # another moderator took it a moment ago
            current = _read(get_quietly(cache, key), comment_id, now)
            if current is None:  # what is there is spent (expiring, unreadable)
                set_quietly(cache, key, value, TTL)
    if current is not None and current.user_id != actor.id:
        return current
    if current is not None:  # one's own: renewed
        set_quietly(cache, key, value, TTL)
    moderation.tell_desk(db, site_id, "queue.claimed", mine.data())
    return mine


def release(db: Session, cache: Cache, actor: User, comment_id: int) -> bool:
    """End the actor's claim on the comment (not another's); True if there was one."""
    site_id = moderate.site_of(db, comment_id)
    moderation.require_moderator(db, actor, site_id)
    current = _read(get_quietly(cache, _key(comment_id)), comment_id, time.time())
    if current is None or current.user_id != actor.id:
        return False
    drop(cache, comment_id)
    moderation.tell_desk(db, site_id, "queue.released", {"id": comment_id, "by": actor.id})
    return True


def drop(cache: Cache, comment_id: int) -> None:
    """Forget a claim (the comment was decided: ``queue.decided`` tells the desks)."""
    try:
        cache.delete(_key(comment_id))
    except Exception:  # it expires by itself
        log.exception("cache: could not drop the claim on comment %s", comment_id)
