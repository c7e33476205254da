"""Publish/subscribe for live events.

The in-process broker fans events out to subscribers in this process; a
Redis broker with the same interface carries them across processes. Nothing
publishes or subscribes yet: live updates are the next capability to land.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol


class Broker(Protocol):
    def publish(self, channel: str, event: dict[str, Any]) -> None: ...

    def subscribe(self, channel: str) -> Any:
        """An async context manager yielding an ``asyncio.Queue`` of events."""


class InProcessBroker:
    def __init__(self, queue_size: int = 1000) -> None:
        self._subs: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[Any]]]] = {}
        self._lock = threading.Lock()
        self._queue_size = queue_size

    def publish(self, channel: str, event: dict[str, Any]) -> None:
        with self._lock:
            subs = list(self._subs.get(channel, ()))
        for loop, queue in subs:
            loop.call_soon_threadsafe(self._offer, queue, event)

    @staticmethod
    def _offer(queue: asyncio.Queue[Any], event: dict[str, Any]) -> None:
        # A subscriber that cannot keep up loses events rather than slowing
        # every publisher; clients re-sync from the API on reconnect.
        if not queue.full():
            queue.put_nowait(event)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[asyncio.Queue[Any]]:
        queue: asyncio.Queue[Any] = asyncio.Queue(self._queue_size)
        entry = (asyncio.get_running_loop(), queue)
        with self._lock:
            self._subs.setdefault(channel, set()).add(entry)
        try:
            yield queue
        finally:
            with self._lock:
                self._subs.get(channel, set()).discard(entry)
