"""The signed-in reader's overlay, cached per (story, reader).

A signed-in reader's page is the shared page with their own state (liked,
mine, held, blocked: ``threads.overlay``) laid over it. The overlay is kept
as encoded bytes under ``overlay:STORY:READER``, stamped with the two
generations it was built under: the story's (``rostra.stories.cache``,
moved after every commit that changes what readers see of the story: a
post, held or not, an edit, a deletion, a like, a moderation decision) and
the reader's own (``reader:ID:gen``), moved after every commit that changes
the rest of it: a block or unblock (``reader_changed``) and any change that
ends cached sign-ins (``"account"``: sign-out, a new name or handle, which
the held comments show). An entry is used only while both are current and
until the first ``editable_until`` it names has passed (then that comment
is no longer editable, and the overlay must say so).

The order is the page cache's: both generations are read *before* the
database is (on a fresh snapshot, and with the reader's row read again in
it), and the generations are moved *after* the commit; so an overlay built
from data older than a commit carries a generation that the commit has
retired. Writers never touch the cache: services record ``changed(db, ...)``
and the commit hooks that ``rostra.app`` registers move the generations.

A warm signed-in first page (``warm_first_page``) is three batched cache
reads and no database: the story's id and the token's cached sign-in
(``rostra.accounts.signins``), then the story's, the account's and the
reader's generations with the overlay, then the shared page; the two are
spliced (``rostra.http.conditional.private_page``).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session
from starlette.datastructures import Headers
from starlette.responses import Response

from rostra.accounts import signins
from rostra.backends.cache import Cache, get_quietly, set_quietly
from rostra.comments import threads
from rostra.comments.views import JSON, encode
from rostra.config import Settings
from rostra.db.session import changed
from rostra.errors import InvalidUrl
from rostra.http import conditional
from rostra.models import User
from rostra.stories.cache import StoryPages
from rostra.urls import normalise

log = logging.getLogger(__name__)

#: How long an overlay is kept at most (generations end it sooner).
OVERLAY_TTL = 60
GENERATION_TTL = 7 * 86_400


def reader_changed(db: Session, user_id: int) -> None:
    """Record that the reader's own state (outside any one story: whom they
    block) changes in this transaction: their cached overlays end at the
    commit."""
    changed(db, "reader", user_id)


def generation_key(user_id: int) -> str:
    return f"reader:{user_id}:gen:current"


def overlay_key(story_id: int, user_id: int) -> str:
    return f"overlay:{story_id}:{user_id}"


def current(
    raw: bytes, story_generation: bytes, reader_generation: bytes, now: float
) -> bytes | None:
    """The overlay in a cached value, if it was built under these
    generations and is still true at ``now`` (seconds since the epoch)."""
    stamp, _, body = raw.partition(b"\n")
    parts = stamp.split(b" ")
    if len(parts) != 3 or parts[0] != story_generation or parts[1] != reader_generation:
        return None
    return body if now < float(parts[2]) else None


def valid_until(overlay: JSON, now: float) -> float:
    """Until when an overlay built at ``now`` holds as it is: the first
    ``editable_until`` it names, at most ``OVERLAY_TTL`` from now."""
    until = now + OVERLAY_TTL
    for item in (*overlay["mine"], *overlay["held"]):
        stamp = item.get("editable_until")
        if stamp is not None:
            until = min(until, datetime.fromisoformat(stamp).timestamp())
    return until


class Overlays:
    def __init__(self, cache: Cache) -> None:
        self.cache = cache

    def forget(self, user_ids: Iterable[int]) -> None:
        """End the cached overlays of these readers. Call after the commit."""
        for user_id in user_ids:
            self._bump(user_id)

    def _bump(self, user_id: int) -> str | None:
        try:
            generation = str(self.cache.incr(f"reader:{user_id}:gen"))
            self.cache.set(generation_key(user_id), generation.encode(), GENERATION_TTL)
        except Exception:  # committed; the overlays expire within OVERLAY_TTL
            log.exception("cache: could not end the cached overlays of user %s", user_id)
            return None
        return generation

    def generation(self, user_id: int) -> str | None:
        """The reader's current generation (a fresh one if the cache has
        none), or None when the cache cannot say."""
        raw = get_quietly(self.cache, generation_key(user_id))
        return raw.decode() if raw is not None else self._bump(user_id)

    def cached(
        self,
        db: Session,
        settings: Settings,
        pages: StoryPages,
        story_id: int | None,
        viewer: User,
    ) -> bytes:
        """The reader's encoded overlay of the story: from the cache when it
        holds a current one, else built (and kept)."""
        story_generation = pages.generation(story_id) if story_id is not None else None
        reader_generation = self.generation(viewer.id) if story_generation is not None else None
        if story_id is None or story_generation is None or reader_generation is None:
            return encode(threads.overlay(db, settings, story_id, viewer))
        key = overlay_key(story_id, viewer.id)
        raw = get_quietly(self.cache, key)
        found = (
            current(raw, story_generation.encode(), reader_generation.encode(), time.time())
            if raw is not None
            else None
        )
        if found is not None:
            return found
        # A snapshot taken after the generations were read, and the reader's
        # row in it (their name is on their held comments).
        db.rollback()
        fresh = db.get(User, viewer.id)
        if fresh is None:  # gone meanwhile: answered, not kept
            return encode(threads.overlay(db, settings, story_id, viewer))
        now = time.time()
        lay = threads.overlay(db, settings, story_id, fresh)
        body = encode(lay)
        until = valid_until(lay, now)
        stamp = f"{story_generation} {reader_generation} {until:.3f}\n".encode()
        ttl = max(1, min(OVERLAY_TTL, math.ceil(until - now)))
        set_quietly(self.cache, key, stamp + body, ttl)
        return body


def warm_first_page(
    cache: Cache, url: str, sort: str, limit: int, token: str, headers: Headers
) -> Response | None:
    """A signed-in reader's first page from the cache alone (see the
    module), or None when any part of it is not there (or no longer true)."""
    try:
        normalised = normalise(url)
    except InvalidUrl:
        return None
    raw_id, raw_entry = cache.get_many(
        [StoryPages.story_id_key(normalised), signins.entry_key(token)]
    )
    if raw_id is None or raw_entry is None:
        return None
    entry = signins.parse(raw_entry)
    if entry is None:
        return None
    story_id, user_id = int(raw_id), entry.user_id
    story_generation, account_generation, reader_generation, raw_overlay = cache.get_many(
        [
            StoryPages.generation_key(story_id),
            signins.generation_key(user_id),
            generation_key(user_id),
            overlay_key(story_id, user_id),
        ]
    )
    if (
        story_generation is None
        or reader_generation is None
        or raw_overlay is None
        or not entry.current(account_generation)
    ):
        return None
    lay = current(raw_overlay, story_generation, reader_generation, time.time())
    if lay is None:
        return None
    key = StoryPages.first_page_key(story_id, story_generation.decode(), sort, limit)
    raw_page = cache.get(key)
    if raw_page is None:
        return None
    page = StoryPages.page_of(raw_page)
    return conditional.private_page(page.body, page.etag, lay, headers)
