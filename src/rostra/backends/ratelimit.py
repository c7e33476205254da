"""Rate limits: a sliding-window counter per key.

The in-memory limiter serves one process; a Redis limiter with the same
interface serves many (``rostra.backends.redis``).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from typing import Protocol


class RateLimiter(Protocol):
    def hit(self, key: str, limit: int, window: int) -> int:
        """Count one attempt; return 0 if allowed, else seconds until the next is."""

    def peek(self, key: str, limit: int, window: int) -> int:
        """Like ``hit`` but counts nothing: 0 if an attempt would be allowed now."""

    def reset(self, key: str) -> None: ...


class MemoryRateLimiter:
    def __init__(self) -> None:
        # key -> (its window, its hits): a sweep must judge each key by its
        # own window, or a short limit's sweep would clear a long limit.
        self._hits: dict[str, tuple[int, deque[float]]] = {}
        self._lock = threading.Lock()
        self._calls = 0

    def hit(self, key: str, limit: int, window: int) -> int:
        return self._look(key, limit, window, count=True)

    def peek(self, key: str, limit: int, window: int) -> int:
        return self._look(key, limit, window, count=False)

    def _look(self, key: str, limit: int, window: int, *, count: bool) -> int:
        now = time.monotonic()
        with self._lock:
            self._calls += 1
            if self._calls % 1024 == 0:
                self._sweep(now)
            _, hits = self._hits.get(key) or (window, deque())
            while hits and hits[0] <= now - window:
                hits.popleft()
            if len(hits) >= limit:
                return max(1, math.ceil(hits[0] + window - now))
            if count:
                hits.append(now)
                self._hits[key] = (window, hits)
            return 0

    def reset(self, key: str) -> None:
        with self._lock:
            self._hits.pop(key, None)

    def _sweep(self, now: float) -> None:
        # Keys whose newest hit is older than their window hold no information.
        stale = [
            k for k, (window, hits) in self._hits.items() if not hits or hits[-1] <= now - window
        ]
        for key in stale:
            del self._hits[key]
