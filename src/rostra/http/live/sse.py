"""Server-Sent Events: an ASGI response that streams one subscription.

Frames are written as the hub hands them over (joined when a slow client
made them wait);
heartbeats come from the hub every ``heartbeat`` seconds so proxies keep
idle streams open; ``X-Accel-Buffering: no`` tells nginx not to buffer. The
first frame, ``event: ready``, carries the stream's position as its id, so a
client that reconnects before any event arrives still resumes exactly. The
stream ends when the client goes away, when it falls too far behind, or
when the server stops (the client reconnects, elsewhere if need be, and
resumes with ``Last-Event-ID``).
"""

from __future__ import annotations

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

    A Starlette Response only so that endpoints may return it. It sends its
    head and first frame, then hands its ``send`` to the subscription, which
    writes every later frame as the hub hands it over; the answer itself only
    waits for its client to go away. When the server ends the stream (it
    stops, or the client fell too far behind), the subscription sends the
    answer's end, and the server tells the waiting ``receive`` it is over."""

    media_type = MEDIA_TYPE
    #: Its head; the lean front replaces it with the same headers decorated
    #: as the stack would (one list shared by its streams, never changed).
    raw_headers = HEADERS

    def __init__(self, hub: Hub, sub: Subscription, ready: bytes = b"{}") -> None:
        # Response.__init__ would render a body; a stream has none up front.
        self.status_code = 200
        self.background = None
        self.hub = hub
        self.sub = sub
        self.ready = ready

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        sub = self.sub
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            first = (
                f"retry: {RETRY_MS}\nid: {sub.event_id()}\nevent: ready\ndata: ".encode()
                + self.ready
                + b"\n\n"
            )
            await send({"type": "http.response.body", "body": first, "more_body": True})
            sub.attach(send)
            # The server says nothing else when the client goes away; only
            # receive() learns of it (or of the end the subscription sent).
            while (await receive())["type"] != "http.disconnect":
                pass
            if not sub.closed:
                sub.gone()
        finally:
            self.hub.unsubscribe(self.sub)
