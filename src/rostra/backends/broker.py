"""The bus that carries committed live events to every process.

One bus for all live channels: a publisher sends a message (a JSON string
naming its channel) after the commit of the change it announces, and each
process's hub (``rostra.http.live.hub``) listens once and hands the message to
the streams that want it. The in-process broker serves one process; the
Redis broker (``rostra.backends.redis``) carries messages between processes.

The bus may lose messages (a restart, a Redis outage): events are kept in
the database too, numbered per channel, and a hub fills any gap from there.
``listen`` yields :data:`RESYNC` after it (re)connects, the moment to look
for what was missed.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator
from typing import Final, Protocol

#: Yielded by ``listen`` when messages may have been missed (a reconnect).
RESYNC: Final = "\x00resync"


class Broker(Protocol):
    def publish(self, message: str) -> None:
        """Send ``message`` to every listener; from any thread; never raises
        for an unavailable bus (the event is in the database anyway)."""

    def listen(self) -> AsyncGenerator[str, None]:
        """Every message published from now on, with RESYNC after each
        (re)connection; runs until cancelled."""

    @property
    def healthy(self) -> bool:
        """Whether messages are flowing (False while the bus is unreachable)."""


class InProcessBroker:
    def __init__(self, queue_size: int = 10_000) -> None:
        self._listeners: set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[str]]] = set()
        self._lock = threading.Lock()
        self._queue_size = queue_size

    @property
    def healthy(self) -> bool:
        return True

    def publish(self, message: str) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for loop, queue in listeners:
            try:
                loop.call_soon_threadsafe(_offer, queue, message)
            except RuntimeError:  # the listener's loop has closed
                with self._lock:
                    self._listeners.discard((loop, queue))

    async def listen(self) -> AsyncGenerator[str, None]:
        queue: asyncio.Queue[str] = asyncio.Queue(self._queue_size)
        entry = (asyncio.get_running_loop(), queue)
        with self._lock:
            self._listeners.add(entry)
        try:
            yield RESYNC
            while True:
                yield await queue.get()
        finally:
            with self._lock:
                self._listeners.discard(entry)


def _offer(queue: asyncio.Queue[str], message: str) -> None:
    # A listener that cannot keep up loses messages rather than slowing the
    # publisher; the hub notices the gap and fills it from the database.
    if not queue.full():
        queue.put_nowait(message)
