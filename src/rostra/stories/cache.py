"""The per-story page cache: the pages of a thread, as encoded bytes.

A page is the same for every reader (a signed-in reader's own state is sent
beside it, see ``rostra.comments.threads.overlay``), so each is kept per
(story, sort, limit, cursor) in the shared cache. Keys carry the story's
*generation*, which every write to the story moves on after it commits; a
page cached under an old generation is never read again and simply expires.

Correctness rests on one order: a reader reads the generation *before* it
queries the database, and a writer moves the generation *after* it commits.
So a page built from data older than a commit is stored under a generation
that this commit has already retired. Writers do not call ``retire``
themselves: services record ``changed(db, "story", id)`` and the commit
hook that ``rostra.app`` registers calls it after the commit.

The generation is taken from ``cache.incr`` (unique, atomic across
processes) and published with ``cache.set``, because the cache interface
reads plain values only. Two writers may publish out of order; either value
is newer than both commits, so that is harmless. If the published value is
evicted, readers start a fresh generation.

Counts (``GET /counts``) are kept the same way: a story's count under its
generation (``story:ID:count:GEN``), so the commit that moves the count
retires it; the count of a URL without a story (0 on a configured site,
else null) under a generation of all stories that moves when a story is
made or a site changes. A URL whose story id the cache does not know yet
is answered from the database and its id remembered, its count kept from
the next request on (its generation could not be read before the query).
A warm request reads three times from the cache and never the database.

The lean front goes further for a query string asked again
(``CountsVersions``, ``rostra.http.front.Kept``): it remembers the
generations that the answer's counts were found under and, while one
``get_many`` of them reads the same values, sends the answer again as it
sent it. The same order holds: those generations were read before the
counts were, so a commit that moved one has retired the answer.

A failing cache (Redis down) degrades to no cache: reads go to the
database, and a write that has committed is still answered as a success.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Hashable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache

from rostra.backends.cache import AsyncReads, Cache, get_quietly, set_quietly

log = logging.getLogger(__name__)

PAGE_TTL = 60
COUNT_TTL = 300
GENERATION_TTL = 7 * 86_400
# Short enough that a story removed with its site and made again (a new id)
# is not looked for under its old id for long.
STORY_ID_TTL = 600


@dataclass(frozen=True)
class Page:
    """A page as sent: the encoded body, its ETag, and the body gzipped once."""

    body: bytes
    etag: str
    gzipped: bytes | None


_flights: dict[str, threading.Lock] = {}
_flights_lock = threading.Lock()


@dataclass
class Counts:
    """``StoryPages.counts``: the counts found, and for the others the key to
    keep each under once the database has answered."""

    found: dict[str, int | None] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    #: The generations the keys were made of, as read (or published): while
    #: the cache holds these same values, the counts found are current.
    generations: dict[str, bytes] = field(default_factory=dict)

    def knew_story(self, url: str) -> bool:
        """Whether the key kept for ``url`` is its story's (not a no-story one)."""
        return self.keys.get(url, "").startswith("story:")


class StoryPages:
    def __init__(self, cache: Cache) -> None:
        self.cache = cache

    def retire(self, story_ids: Iterable[int]) -> None:
        """Retire every cached page of these stories. Call after the commit."""
        for story_id in story_ids:
            self._bump(story_id)

    def _bump(self, story_id: int) -> str | None:
        try:
            generation = str(self.cache.incr(f"story:{story_id}:gen"))
            self.cache.set(f"story:{story_id}:gen:current", generation.encode(), GENERATION_TTL)
        except Exception:  # the write is committed; its pages expire within PAGE_TTL
            log.exception("cache: could not retire the pages of story %s", story_id)
            return None
        return generation

    def page_key(
        self, story_id: int, sort: str, limit: int, cursor: str | None = None
    ) -> str | None:
        """The key of a page (the first, or the one after ``cursor``) under
        the story's current generation, or None when the cache cannot say
        (then the page is not cached)."""
        try:
            raw = self.cache.get(f"story:{story_id}:gen:current")
        except Exception:
            log.exception("cache: could not read the generation of story %s", story_id)
            return None
        generation = raw.decode() if raw is not None else self._bump(story_id)
        if generation is None:
            return None
        key = self.first_page_key(story_id, generation, sort, limit)
        return key if cursor is None else key + ":" + _digest(cursor)[:32]

    # For a caller that batches its reads (the signed-in front): the keys,
    # and what their values mean.

    @staticmethod
    def story_id_key(url: str) -> str:
        """The key of a normalised URL's story id (``story_id``)."""
        return _story_key(url)

    @staticmethod
    def generation_key(story_id: int) -> str:
        """The key of the story's current generation (its value: ``page_key``'s)."""
        return f"story:{story_id}:gen:current"

    @staticmethod
    def first_page_key(story_id: int, generation: str, sort: str, limit: int) -> str:
        """The key of a first page under a generation read from ``generation_key``."""
        return f"story:{story_id}:page:{generation}:{sort}:{limit}"

    def generation(self, story_id: int) -> str | None:
        """The story's current generation (a fresh one if the cache has
        none), or None when the cache cannot say."""
        raw = self._get(self.generation_key(story_id))
        return raw.decode() if raw is not None else self._bump(story_id)

    def story_id(self, url: str) -> int | None:
        """The id of the story at a normalised URL, if known to the cache.

        A URL's story never changes once created, so a cached page can be found
        without touching the database. Only found ids are remembered: an
        article's first comment must not be hidden by a remembered absence.
        """
        raw = self._get(_story_key(url))
        return int(raw) if raw is not None else None

    def remember_story_id(self, url: str, story_id: int) -> None:
        self._set(_story_key(url), str(story_id).encode(), STORY_ID_TTL)

    def new_stories(self, _: Iterable[object] = ()) -> None:
        """A story was made, or a site changed: what a URL without a story
        counts (0 or null) may have changed. Call after the commit."""
        try:
            generation = str(self.cache.incr("stories:gen"))
            self.cache.set("stories:gen:current", generation.encode(), GENERATION_TTL)
        except Exception:
            log.exception("cache: could not retire the counts of URLs without a story")

    def counts(self, urls: list[str]) -> Counts:
        """What the cache knows of these normalised URLs' counts, and the
        keys to keep the rest under (read before the database is)."""
        out = Counts()
        try:
            ids = self.cache.get_many([_story_key(u) for u in urls])
            known = {u: int(raw) for u, raw in zip(urls, ids, strict=True) if raw is not None}
            story_ids = sorted(set(known.values()))
            gens = self.cache.get_many([f"story:{i}:gen:current" for i in story_ids])
            generation = {i: g.decode() for i, g in zip(story_ids, gens, strict=True) if g}
            for i in story_ids:
                if i not in generation and (fresh := self._bump(i)) is not None:
                    generation[i] = fresh
            for i, current in generation.items():
                out.generations[f"story:{i}:gen:current"] = current.encode()
            missing = [u for u in urls if u not in known]
            head = self.cache.get("stories:gen:current") if missing else None
            if missing and head is None:
                self.new_stories()
                head = self.cache.get("stories:gen:current")
            if head is not None:
                out.generations["stories:gen:current"] = head
            keys: dict[str, str] = {}
            for u in urls:
                if u in known:
                    g = generation.get(known[u])
                    if g is not None:
                        keys[u] = f"story:{known[u]}:count:{g}"
                elif head is not None:
                    keys[u] = f"no-story:{head.decode()}:{_digest(u)}"
            values = self.cache.get_many(list(keys.values()))
        except Exception:
            log.exception("cache: could not read counts")
            return Counts()
        for (u, key), raw in zip(keys.items(), values, strict=True):
            if raw is None:
                out.keys[u] = key
            else:
                out.found[u] = None if raw == b"-" else int(raw)
        return out

    def put_counts(self, keys: dict[str, str], answers: dict[str, int | None]) -> None:
        for url, key in keys.items():
            if url in answers:
                value = answers[url]
                self._set(key, b"-" if value is None else str(value).encode(), COUNT_TTL)

    def get(self, key: str) -> Page | None:
        """A cached page: its body, ETag and gzipped body, in one read."""
        try:
            raw, gzipped = self.cache.get_many([key, key + ":gz"])
        except Exception:
            log.exception("cache: get failed")
            return None
        if raw is None:
            return None
        etag, _, body = raw.partition(b"\n")
        return Page(body, etag.decode(), gzipped)

    @staticmethod
    def page_of(raw: bytes) -> Page:
        """A page from its key's value (read without its gzipped body)."""
        etag, _, body = raw.partition(b"\n")
        return Page(body, etag.decode(), None)

    def put(self, key: str, page: Page) -> None:
        self._set(key, page.etag.encode() + b"\n" + page.body, PAGE_TTL)
        if page.gzipped is not None:
            self._set(key + ":gz", page.gzipped, PAGE_TTL)

    @contextmanager
    def building(self, key: str) -> Iterator[None]:
        """One build of a page at a time in this process: the others wait for
        it and then find it in the cache (single flight)."""
        with _flights_lock:
            lock = _flights.setdefault(key, threading.Lock())
        try:
            with lock:
                yield
        finally:
            with _flights_lock:
                if not lock.locked():
                    _flights.pop(key, None)

    def _get(self, key: str) -> bytes | None:
        return get_quietly(self.cache, key)

    def _set(self, key: str, value: bytes, ttl: int) -> None:
        set_quietly(self.cache, key, value, ttl)


#: A longer query string's counts are not remembered (``CountsVersions``).
MAX_REMEMBERED_QUERY = 16 * 1024


class CountsVersions:
    """Which version of each recent counts answer (per raw query string) the
    cache vouches for: the generations its counts were found under, read
    again in one ``get_many`` and compared. Kept in this process only; the
    generations are read from the shared cache on every check, so a write in
    any process retires the answer for the next request. An answer is
    vouched for at most ``COUNT_TTL`` seconds after it was built, as long as
    the counts it was made of are kept."""

    def __init__(self, cache: Cache, max_entries: int = 4096) -> None:
        self.cache = cache
        self.max_entries = max_entries
        self._known: dict[bytes, tuple[list[str], list[bytes | None], Hashable, float]] = {}

    def remember(self, query_string: bytes, generations: dict[str, bytes], etag: str) -> Hashable:
        """Note the answer built (its ETag) from these generations; its version."""
        values: list[bytes | None] = list(generations.values())
        version = (etag, *values)
        if len(query_string) > MAX_REMEMBERED_QUERY:
            return version  # never vouched for: built each time
        if len(self._known) >= self.max_entries:
            self._known.clear()
        expires = time.monotonic() + COUNT_TTL
        self._known[query_string] = (list(generations), values, version, expires)
        return version

    def current(self, query_string: bytes) -> Hashable | None:
        """The version of the answer to this query that is current, if known."""
        known = self._known_now(query_string)
        if known is None:
            return None
        keys, values, version = known
        try:
            now = self.cache.get_many(keys) if keys else []
        except Exception:
            log.exception("cache: could not read the generations of counts")
            return None
        return version if now == values else None

    async def current_async(self, query_string: bytes) -> Hashable | None:
        """``current`` from the event loop, for a cache that reads there
        (``AsyncReads``: Redis, without a thread hop)."""
        known = self._known_now(query_string)
        if known is None:
            return None
        keys, values, version = known
        assert isinstance(self.cache, AsyncReads)
        try:
            now = await self.cache.aget_many(keys) if keys else []
        except Exception:
            log.exception("cache: could not read the generations of counts")
            return None
        return version if now == values else None

    def _known_now(
        self, query_string: bytes
    ) -> tuple[list[str], list[bytes | None], Hashable] | None:
        known = self._known.get(query_string)
        if known is None:
            return None
        keys, values, version, expires = known
        if expires < time.monotonic():
            self._known.pop(query_string, None)
            return None
        return keys, values, version


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@lru_cache(maxsize=4096)
def _story_key(url: str) -> str:
    # Hashed: URLs are long and come from the public.
    return "story-id:" + _digest(url)
