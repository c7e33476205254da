"""Server-Sent Events: an ASGI response that streams one subscription.

Frames go out as the hub queues them (several at once when they pile up);
heartbeats come from the hub every ``heartbeat`` seconds so proxies keep
idle streams open; ``X-Accel-Buffering: no`` tells nginx not to buffer. The
first frame, ``event: ready``, carries the stream's position as its id, so a
client that reconnects before any event arrives still resumes exactly. The
stream ends when the client goes away, when it falls too far behind, or
when the server stops (the client reconnects, elsewhere if need be, and
resumes with ``Last-Event-ID``).
"""

from __future__ import annotations

import asyncio
import contextlib
import re

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from rostra.http.live.hub import Hub, Subscription

MEDIA_TYPE = "text/event-stream"
RETRY_MS = 3000
_LAST_ID = re.compile(r"^\d{1,12}(\.\d{1,12}){0,7}$")

HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache, no-transform"),
    (b"x-accel-buffering", b"no"),
]


def parse_last_event_id(value: str | None, channels: int) -> list[int] | None:
    """The numbers of a ``Last-Event-ID`` for a stream of ``channels``
    channels, or None (start from now) when absent or not one of ours."""
    if not value or not _LAST_ID.match(value.strip()):
        return None
    numbers = [int(n) for n in value.strip().split(".")]
    return numbers if len(numbers) == channels else None


class EventStream(Response):
    """The response of a live stream; the caller has subscribed already.

    A Starlette Response only so that endpoints may return it; it sends
    itself, frame by frame, with one task per stream besides the one that
    watches for the client going away."""

    media_type = MEDIA_TYPE

    def __init__(self, hub: Hub, sub: Subscription, ready: bytes = b"{}") -> None:
        # Response.__init__ would render a body; a stream has none up front.
        self.status_code = 200
        self.background = None
        self.hub = hub
        self.sub = sub
        self.ready = ready

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        watcher = asyncio.ensure_future(self._watch(receive))
        try:
            await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
            first = (
                f"retry: {RETRY_MS}\nid: {self.sub.event_id()}\nevent: ready\ndata: ".encode()
                + self.ready
                + b"\n\n"
            )
            await send({"type": "http.response.body", "body": first, "more_body": True})
            while (data := await self.sub.next()) is not None:
                await send({"type": "http.response.body", "body": data, "more_body": True})
            with contextlib.suppress(OSError, RuntimeError):
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            watcher.cancel()
            self.hub.unsubscribe(self.sub)

    async def _watch(self, receive: Receive) -> None:
        # The server says nothing else when the client goes away; only
        # receive() learns of it.
        while (await receive())["type"] != "http.disconnect":
            pass
        self.sub.close()
