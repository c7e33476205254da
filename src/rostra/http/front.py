"""The lean front: warm public reads answered before routing.

The busiest answers (an anonymous reader's page of a thread, a listing
page's counts) are, when warm, bytes in the cache. ``Front`` sits outside
the whole middleware stack: no middleware, no route matching, no dependency
resolution, no session, no thread hop, no model. A handler (given by a
domain through the composition root) answers from the cache alone or
returns None, and the request goes on to the stack as if the front were not
there; so does a handler's error. What the stack's layers add to an answer
the front adds itself, the same way: the security policy's headers and CORS
(``rostra.http.security.Policy``, its header lists planned once), and the
compression layer for an answer not compressed ahead of time (Starlette's
GZip middleware itself, around that one answer). A request with a token
goes on unless a signed-in handler takes it: first one that answers from
the cache alone (on the event loop, with the in-process cache), then one
that may read the database (in a few threads).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Awaitable, Callable
from functools import lru_cache

import anyio
import anyio.to_thread
from starlette.datastructures import Headers, MutableHeaders, QueryParams
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rostra.http.security import Policy

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


JSON_TYPE = "application/json"
#: The compression layer's level (Starlette's GZip middleware's default).
GZIP_LEVEL = 9


#: Bodies up to this size are kept compressed (at most 1,024 of them: 8 MiB).
KEEP_GZIPPED = 8192


def _gzipped(body: bytes) -> bytes:
    return _kept_gzipped(body) if len(body) <= KEEP_GZIPPED else _gzip(body)


@lru_cache(maxsize=1024)
def _kept_gzipped(body: bytes) -> bytes:
    # A level-9 compressor costs more to set up than a small body to
    # compress; the counts of one listing page are asked for again and again.
    return _gzip(body)


def _gzip(body: bytes) -> bytes:
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return compressor.compress(body) + compressor.flush()


def _first(scope: Scope, name: bytes) -> str:
    """The first value of a request header (as ``Headers.get`` reads it), or ""."""
    for key, value in scope["headers"]:
        if key.lower() == name:
            decoded: str = value.decode("latin-1")
            return decoded
    return ""


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
        security: Policy | None = None,
        gzip_minimum: int = 512,
        signed_in_warm: dict[str, SignedInHandler] | None = None,
    ) -> None:
        self.app = app
        #: The stack's security policy and compression threshold, applied
        #: here to the front's own answers (None: nothing added, for a front
        #: placed inside the stack).
        self.security = security
        self.gzip_minimum = gzip_minimum
        self.routes = routes
        self.signed_in = signed_in or {}
        #: For a path of ``signed_in``: its answer from the cache alone (no
        #: database), tried first; on the event loop unless the cache waits
        #: on the network. None: ``signed_in`` answers.
        self.signed_in_warm = signed_in_warm or {}
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
        #: Of those, signed-in answers from the cache alone (on the event loop).
        self.warm_signed_in = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            path: str = scope["path"]
            opener = self.streams.get(path)
            if opener is not None:
                try:
                    stream = await opener(
                        scope, _query(scope["query_string"]), Headers(scope=scope)
                    )
                except Exception:  # the stack answers (and logs) it
                    stream = None
                if stream is not None:
                    self.answered += 1
                    await self._send(stream, scope, receive, send, await self._cors(scope))
                    return
            try:
                response = await self._answer(scope)
            except Exception:  # the stack answers (and logs) it
                response = None
            if response is not None:
                self.answered += 1
                await self._send_response(response, scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _cors(self, scope: Scope) -> str | None:
        if self.security is None:
            return None
        origin = None
        for name, value in scope["headers"]:
            if name.lower() == b"origin":  # the last one, as the middleware reads it
                origin = value.decode("latin-1")
        return await self.security.cors_origin(scope["path"], "GET", origin)

    async def _send_response(
        self, response: Response, scope: Scope, receive: Receive, send: Send
    ) -> None:
        if self.security is None:
            await response(scope, receive, send)
            return
        path = scope["path"]
        raw = self.security.decorated(response.raw_headers, path, await self._cors(scope))
        response.raw_headers = raw
        if any(name == b"content-encoding" for name, _ in raw):
            await response(scope, receive, send)  # the compression layer leaves it alone
        elif self._compress_ahead(response, scope):
            await response(scope, receive, send)
        else:
            await GZipMiddleware(response, minimum_size=self.gzip_minimum)(scope, receive, send)

    def _compress_ahead(self, response: Response, scope: Scope) -> bool:
        """Compress a JSON answer as the compression layer would (the same
        level, the same bytes: zlib's gzip stream has no time in it), from
        the bytes kept for this body if it was compressed a moment ago; and
        change its headers as that layer does. False: leave it to the layer."""
        body = response.body
        if (
            not isinstance(body, bytes)
            or response.status_code == 206
            or len(body) < self.gzip_minimum
            or response.media_type != JSON_TYPE
            or "gzip" not in _first(scope, b"accept-encoding")
        ):
            return False
        headers = MutableHeaders(raw=response.raw_headers)
        # A reader's own answer is compressed but not kept.
        public = headers.get("cache-control", "").startswith("public")
        gzipped = _gzipped(body) if public else _gzip(body)
        headers.add_vary_header("Accept-Encoding")
        headers["Content-Encoding"] = "gzip"
        headers["Content-Length"] = str(len(gzipped))
        response.body = gzipped
        return True

    async def _send(
        self, app: ASGIApp, scope: Scope, receive: Receive, send: Send, cors: str | None
    ) -> None:
        """A long-lived answer through the same two layers, as the stack's are."""
        if self.security is None:
            await app(scope, receive, send)
            return
        security, path = self.security, scope["path"]

        async def decorated_app(scope: Scope, receive: Receive, send_on: Send) -> None:
            async def decorated(message: Message) -> None:
                if message["type"] == "http.response.start":
                    security.decorate(MutableHeaders(scope=message), path, cors)
                await send_on(message)

            await app(scope, receive, decorated)

        await GZipMiddleware(decorated_app, minimum_size=self.gzip_minimum)(scope, receive, send)

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
            warm = self.signed_in_warm.get(path)
            if warm is not None and not self.in_thread:
                answer = warm(query, headers, token)
                if answer is not None:
                    self.warm_signed_in += 1
                    return answer
                warm = None
            if self._limiter is None:  # made in the event loop it serves
                self._limiter = anyio.CapacityLimiter(self.readers)
            return await anyio.to_thread.run_sync(
                _first_of, warm, signed_in, query, headers, token, limiter=self._limiter
            )
        if handler is None:
            return None
        query = _query(scope["query_string"])
        if self.in_thread:
            return await anyio.to_thread.run_sync(handler, query, headers)
        return handler(query, headers)


def _first_of(
    warm: SignedInHandler | None,
    full: SignedInHandler,
    query: QueryParams,
    headers: Headers,
    token: str,
) -> Response | None:
    """``warm``'s answer if it has one, else ``full``'s: both in one thread hop."""
    answer = warm(query, headers, token) if warm is not None else None
    return answer if answer is not None else full(query, headers, token)
