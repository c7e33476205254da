"""A small key/value cache with expiry, for hot reads (per-story pages, counts).

Entries are invalidated by bumping a per-story generation number rather than
by deleting keys, so a Redis cache needs no key scans.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from typing import Protocol, runtime_checkable

log = logging.getLogger(__name__)


class Cache(Protocol):
    def get(self, key: str) -> bytes | None: ...

    def get_many(self, keys: list[str]) -> list[bytes | None]:
        """The values of ``keys``, in order (one round trip where it matters)."""
        ...

    def set(self, key: str, value: bytes, ttl: int) -> None: ...

    def incr(self, key: str) -> int: ...

    def add(self, key: str, value: bytes, ttl: int) -> bool:
        """Set ``key`` only if it holds no live value; True if this call set it
        (atomic: of two callers at the same instant, one wins)."""
        ...

    def delete(self, key: str) -> None: ...


@runtime_checkable
class AsyncReads(Protocol):
    """A cache that can also be read from the event loop without blocking it."""

    async def aget_many(self, keys: list[str]) -> list[bytes | None]: ...


class MemoryCache:
    def __init__(self, max_entries: int = 10_000) -> None:
        self._data: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._counters: dict[str, int] = {}
        self._lock = threading.Lock()
        self._max = max_entries

    def get(self, key: str) -> bytes | None:
        with self._lock:
            item = self._data.get(key)
            if item is None:
                return None
            expires, value = item
            if expires < time.monotonic():
                del self._data[key]
                return None
            self._data.move_to_end(key)
            return value

    def get_many(self, keys: list[str]) -> list[bytes | None]:
        # As ``get`` for each key, under one lock and one reading of the clock
        # (the lean front checks a set of counts' generations per request).
        out: list[bytes | None] = []
        with self._lock:
            now = time.monotonic()
            for key in keys:
                item = self._data.get(key)
                if item is None:
                    out.append(None)
                elif item[0] < now:
                    del self._data[key]
                    out.append(None)
                else:
                    self._data.move_to_end(key)
                    out.append(item[1])
        return out

    def set(self, key: str, value: bytes, ttl: int) -> None:
        with self._lock:
            self._put(key, value, ttl)

    def _put(self, key: str, value: bytes, ttl: int) -> None:
        self._data[key] = (time.monotonic() + ttl, value)
        self._data.move_to_end(key)
        while len(self._data) > self._max:
            self._data.popitem(last=False)

    def incr(self, key: str) -> int:
        with self._lock:
            self._counters[key] = self._counters.get(key, 0) + 1
            return self._counters[key]

    def add(self, key: str, value: bytes, ttl: int) -> bool:
        with self._lock:
            item = self._data.get(key)
            if item is not None and item[0] >= time.monotonic():
                return False
            self._put(key, value, ttl)
            return True

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)


def get_quietly(cache: Cache, key: str) -> bytes | None:
    """``cache.get``, with a failing cache (Redis away) read as a miss."""
    try:
        return cache.get(key)
    except Exception:
        log.exception("cache: get failed")
        return None


def set_quietly(cache: Cache, key: str, value: bytes, ttl: int) -> None:
    """``cache.set``; a failing cache is logged and the value not kept."""
    try:
        cache.set(key, value, ttl)
    except Exception:
        log.exception("cache: set failed")
