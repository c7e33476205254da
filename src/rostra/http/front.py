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
GZip middleware itself, around that one answer). A live stream gets the
policy's headers alone (the compression layer leaves event streams alone)
and no layer around it. A request with a token goes on unless a signed-in
handler takes it: first one that answers from the cache alone (on the
event loop, with the in-process cache), then one that may read the
database (in a few threads).

A *kept* route (``Kept``) goes further: its handler says, from the raw query
string alone, which version of its answer the cache vouches for now, and the
front sends again the very messages it sent for that version and that kind
of request (the same ``Accept-Encoding`` and ``If-None-Match``, the same
CORS origin granted), recorded when the answer was last built the ordinary
way. So a warm hit costs the handler's check and two ``send`` calls; the
answer stays exactly what the layers gave, since it is what they gave.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from functools import lru_cache

import anyio
import anyio.to_thread
from starlette.datastructures import Headers, MutableHeaders, QueryParams
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rostra.http.live.sse import EventStream
from rostra.http.security import Policy, RawHeaders

#: Answers a GET from the cache, or None to let the full stack answer.
FrontHandler = Callable[[QueryParams, Headers], Response | None]
#: The same for a request with a bearer token (given as sent, stripped).
SignedInHandler = Callable[[QueryParams, Headers, str], Response | None]
#: Opens a live stream for a GET, or None to let the full stack answer (and
#: refuse) it.
StreamHandler = Callable[[Scope, QueryParams, Headers], Awaitable[EventStream | None]]


@dataclass(frozen=True)
class Kept:
    """A route whose warm answers the front keeps and sends again.

    ``version(raw_query)`` names the version of the answer that the cache
    vouches for now, or None (not known, or retired since): it must read
    the cache, so that a write in any process is seen at once. ``answer``
    builds it as a ``FrontHandler`` would (None: the stack answers), with
    the version it was built from, read *before* its data was."""

    version: Callable[[bytes], Hashable | None]
    answer: Callable[[bytes, QueryParams, Headers], tuple[Response, Hashable] | None]
    #: ``version`` for the event loop itself, for a cache that reads there
    #: without blocking it (preferred, else ``version`` in a thread when
    #: the cache waits on the network).
    version_async: Callable[[bytes], Awaitable[Hashable | None]] | None = None


#: Query strings of one kept route whose answers are kept, and kinds of
#: request per query string (beyond either, the oldest are forgotten).
KEPT_QUERIES = 4096
KEPT_KINDS = 32
#: At most this many bytes (bodies, headers, query strings) are kept; past
#: it, all are forgotten and kept again as asked. A query string longer
#: than ``KEPT_QUERY_MAX`` is answered (built) each time, never kept.
KEPT_BYTES = 32 * 1024 * 1024
KEPT_QUERY_MAX = 16 * 1024
#: The request headers that a kept answer depends on.
_KIND_HEADERS = frozenset({b"accept-encoding", b"if-none-match", b"origin", b"authorization"})
_Kind = tuple[bytes | None, bytes | None, str | None]
_Sent = tuple[int, list[tuple[bytes, bytes]], bytes]

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
        kept: dict[str, Kept] | None = None,
        signed_in_warm: dict[str, SignedInHandler] | None = None,
    ) -> None:
        self.app = app
        #: The stack's security policy and compression threshold, applied
        #: here to the front's own answers (None: nothing added, for a front
        #: placed inside the stack).
        self.security = security
        self.gzip_minimum = gzip_minimum
        self.routes = routes
        self.kept = kept or {}
        #: Per kept route and query string: the version last built, and the
        #: messages sent for it per kind of request (see ``Kept``).
        self._sent: dict[tuple[str, bytes], tuple[Hashable, dict[_Kind, _Sent]]] = {}
        self.kept_budget = KEPT_BYTES
        self._kept_bytes = 0  # an upper bound: what is replaced is not taken off
        self.signed_in = signed_in or {}
        #: For a path of ``signed_in``: its answer from the cache alone (no
        #: database), tried first; on the event loop unless the cache waits
        #: on the network. None: ``signed_in`` answers.
        self.signed_in_warm = signed_in_warm or {}
        #: Live streams, opened here so that each open one holds none of the
        #: router's and dependencies' state for its whole life.
        self.streams = streams or {}
        self._stream_heads: dict[
            tuple[str, str | None, tuple[tuple[bytes, bytes], ...]], RawHeaders
        ] = {}
        #: Signed-in answers read the database in a few threads, not one per
        #: request: many threads would each take a connection of their own
        #: (more than the pool keeps, so made and closed per request) and
        #: queue for the interpreter lock at every statement.
        self.readers = readers
        self._limiter: anyio.CapacityLimiter | None = None
        #: A cache that waits on the network (Redis) is read off the event loop.
        self.in_thread = in_thread
        #: Answers given here, not by the stack (for tests and metrics), and
        #: of those, the kept ones sent again.
        self.answered = 0
        self.resent = 0
        #: Of those, signed-in answers from the cache alone (on the event loop).
        self.warm_signed_in = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            path: str = scope["path"]
            kept = self.kept.get(path)
            if kept is not None and await self._kept_answer(kept, scope, receive, send):
                return
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
                    if self.security is not None:
                        cors = await self._cors(scope)
                        stream.raw_headers = self._stream_head(stream.raw_headers, path, cors)
                    await stream(scope, receive, send)
                    return
            try:
                response = await self._answer(scope)
            except Exception:  # the stack answers (and logs) it
                response = None
            if response is not None:
                self.answered += 1
                await self._send_response(response, scope, receive, send, await self._cors(scope))
                return
        await self.app(scope, receive, send)

    async def _kept_answer(self, kept: Kept, scope: Scope, receive: Receive, send: Send) -> bool:
        """Answer from what was sent for this version and kind of request,
        else build it (and keep what is sent); False: not answered here."""
        encoding = match = origin = None
        for name, value in scope["headers"]:
            name = name.lower()
            if name in _KIND_HEADERS:
                if name == b"origin":  # the last one, as the middleware reads it
                    origin = value
                elif name == b"authorization":
                    return False  # a signed-in handler's, or the stack's
                elif name == b"accept-encoding":
                    encoding = value if encoding is None else encoding
                elif match is None:
                    match = value
        path: str = scope["path"]
        query_string: bytes = scope["query_string"]
        try:
            if kept.version_async is not None:
                version = await kept.version_async(query_string)
            elif self.in_thread:
                version = await anyio.to_thread.run_sync(kept.version, query_string)
            else:
                version = kept.version(query_string)
            cors = await self._cors_of(path, origin)
        except Exception:  # the stack answers (and logs) it
            return False
        kind = (encoding, match, cors)
        slot = self._sent.get((path, query_string)) if version is not None else None
        if slot is not None and slot[0] == version:
            sent = slot[1].get(kind)
            if sent is not None:
                self.answered += 1
                self.resent += 1
                status, headers, body = sent
                await send(
                    {"type": "http.response.start", "status": status, "headers": list(headers)}
                )
                await send({"type": "http.response.body", "body": body})
                return True
        query, request_headers = _query(query_string), Headers(scope=scope)
        try:
            if self.in_thread:
                built = await anyio.to_thread.run_sync(
                    kept.answer, query_string, query, request_headers
                )
            else:
                built = kept.answer(query_string, query, request_headers)
        except Exception:  # the stack answers (and logs) it
            return False
        if built is None:
            return False
        response, version = built
        messages: list[Message] = []

        async def recording(message: Message) -> None:
            messages.append(message)
            await send(message)

        self.answered += 1
        await self._send_response(response, scope, receive, recording, cors)
        self._keep(path, query_string, version, kind, response, messages)
        return True

    def _keep(
        self,
        path: str,
        query_string: bytes,
        version: Hashable,
        kind: _Kind,
        response: Response,
        messages: list[Message],
    ) -> None:
        """Keep an answer sent whole, in one start and one body message."""
        if (
            response.background is not None
            or len(messages) != 2
            or len(query_string) > KEPT_QUERY_MAX
        ):
            return
        start, body = messages
        if (
            start["type"] != "http.response.start"
            or body["type"] != "http.response.body"
            or body.get("more_body", False)
            or set(start) != {"type", "status", "headers"}
            or set(body) - {"type", "body", "more_body"}
        ):
            return
        headers, content = list(start["headers"]), bytes(body.get("body", b""))
        size = len(query_string) + len(content) + sum(len(n) + len(v) for n, v in headers)
        if self._kept_bytes + size > self.kept_budget or len(self._sent) >= KEPT_QUERIES:
            self._sent.clear()
            self._kept_bytes = 0
        self._kept_bytes += size
        slot = self._sent.get((path, query_string))
        if slot is None or slot[0] != version:
            slot = self._sent[(path, query_string)] = (version, {})
        if len(slot[1]) >= KEPT_KINDS:
            slot[1].clear()
        slot[1][kind] = (start["status"], headers, content)

    async def _cors_of(self, path: str, origin: bytes | None) -> str | None:
        if self.security is None or not origin:
            return None
        return await self.security.cors_origin(path, "GET", origin.decode("latin-1"))

    async def _cors(self, scope: Scope) -> str | None:
        if self.security is None:
            return None
        origin = None
        for name, value in scope["headers"]:
            if name.lower() == b"origin":  # the last one, as the middleware reads it
                origin = value.decode("latin-1")
        return await self.security.cors_origin(scope["path"], "GET", origin)

    async def _send_response(
        self, response: Response, scope: Scope, receive: Receive, send: Send, cors: str | None
    ) -> None:
        if self.security is None:
            await response(scope, receive, send)
            return
        path = scope["path"]
        raw = self.security.decorated(response.raw_headers, path, cors)
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

    def _stream_head(self, raw: RawHeaders, path: str, cors: str | None) -> RawHeaders:
        """A stream's headers as the stack's layers leave them, planned once
        per path and origin: the security policy's added; the compression
        layer's none, as it leaves ``text/event-stream`` alone (an event must
        reach its client when sent, not when a compressor flushes), so no
        layer is wrapped around a stream for its whole life."""
        key = (path, cors, tuple(raw))
        head = self._stream_heads.get(key)
        if head is None:
            assert self.security is not None
            head = self.security.decorated(raw, path, cors)
            if len(self._stream_heads) >= 64:
                self._stream_heads.clear()
            self._stream_heads[key] = head
        return head

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
