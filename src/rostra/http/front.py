"""The lean front: warm public reads answered before routing.

The busiest answers (an anonymous reader's page of a thread, a listing
page's counts) are, when warm, bytes in the cache. ``Front`` sits inside
the middleware stack, so the security, CORS and compression layers treat
its answers exactly as the full stack's, but in front of the router: no
route matching, no dependency resolution, no session, no thread hop, no
model. A handler (given by a domain through the composition root) answers
from the cache alone or returns None, and the request goes on to FastAPI as
if the front were not there. A request with a token always goes on.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from functools import lru_cache

import anyio
import anyio.to_thread
from starlette.datastructures import Headers, QueryParams
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

#: Answers a GET from the cache, or None to let the full stack answer.
FrontHandler = Callable[[QueryParams, Headers], Response | None]
#: The same for a request with a bearer token (given as sent, stripped).
SignedInHandler = Callable[[QueryParams, Headers, str], Response | None]
#: Opens a long-lived answer (a live stream) for a GET, or None to let the
#: full stack answer (and refuse) it.
StreamHandler = Callable[[Scope, QueryParams, Headers], Awaitable[ASGIApp | None]]

_SMALL_INT = re.compile(r"[1-9][0-9]{0,2}")


def one(query: QueryParams, name: str, default: str | None = None) -> str | None:
    """A parameter sent at most once (else None: the stack decides)."""
    values = query.getlist(name)
    if not values:
        return default
    return values[0] if len(values) == 1 else None


def small_int(value: str | None, low: int, high: int) -> int | None:
    """A plain decimal in [low, high], or None (anything else: the stack decides)."""
    if value is None or not _SMALL_INT.fullmatch(value):
        return None
    n = int(value)
    return n if low <= n <= high else None


@lru_cache(maxsize=1024)
def _query(raw: bytes) -> QueryParams:
    # The busiest requests repeat the same query strings (the counts of one
    # listing page, the first page of one story): parsed once, kept a while.
    return QueryParams(raw)


def bearer(headers: Headers) -> str | None:
    """The bearer token of an Authorization header, or None (as
    ``rostra.http.deps.bearer_token`` reads it)."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


class Front:
    def __init__(
        self,
        app: ASGIApp,
        routes: dict[str, FrontHandler],
        in_thread: bool = False,
        signed_in: dict[str, SignedInHandler] | None = None,
        readers: int = 4,
        streams: dict[str, StreamHandler] | None = None,
    ) -> None:
        self.app = app
        self.routes = routes
        self.signed_in = signed_in or {}
        #: Live streams, opened here so that each open one holds none of the
        #: router's and dependencies' state for its whole life.
        self.streams = streams or {}
        #: Signed-in answers read the database in a few threads, not one per
        #: request: many threads would each take a connection of their own
        #: (more than the pool keeps, so made and closed per request) and
        #: queue for the interpreter lock at every statement.
        self.readers = readers
        self._limiter: anyio.CapacityLimiter | None = None
        #: A cache that waits on the network (Redis) is read off the event loop.
        self.in_thread = in_thread
        #: Answers given here, not by the stack (for tests and metrics).
        self.answered = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            opener = self.streams.get(scope["path"])
            if opener is not None:
                stream = await opener(scope, _query(scope["query_string"]), Headers(scope=scope))
                if stream is not None:
                    self.answered += 1
                    await stream(scope, receive, send)
                    return
            response = await self._answer(scope)
            if response is not None:
                self.answered += 1
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope) -> Response | None:
        path = scope["path"]
        handler = self.routes.get(path)
        if handler is None and path not in self.signed_in:
            return None
        headers = Headers(scope=scope)
        if "authorization" in headers:
            signed_in = self.signed_in.get(path)
            token = bearer(headers) if signed_in is not None else None
            if signed_in is None or token is None:
                return None
            query = _query(scope["query_string"])
            if self._limiter is None:  # made in the event loop it serves
                self._limiter = anyio.CapacityLimiter(self.readers)
            return await anyio.to_thread.run_sync(
                signed_in, query, headers, token, limiter=self._limiter
            )
        if handler is None:
            return None
        query = _query(scope["query_string"])
        if self.in_thread:
            return await anyio.to_thread.run_sync(handler, query, headers)
        return handler(query, headers)
