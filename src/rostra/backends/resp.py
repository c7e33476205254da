"""A small pipelined Redis connection for reads made in the event loop.

The lean front checks a few generations in Redis on every warm request.
redis-py's synchronous client would block the event loop (or cost a thread
hop per request), and its asyncio client costs more per command than the
rest of the answer. Here, one connection per event loop: each command is
written as it comes (those of one loop turn leave together), and the
replies, which Redis sends in order, are handed out in that order (RESP2).

It does not reconnect by itself: a lost connection fails what waits on it,
and the next command opens another, at most once a second while Redis
stays away. A command unanswered for ``timeout`` seconds closes the
connection (failing everything waiting on it), as redis-py's socket timeout
would. TLS URLs are not handled here (``for_url`` gives None: the caller
reads in a thread instead).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Any

import redis
from redis.connection import SSLConnection, parse_url

#: After a failed connection, commands fail at once for this long.
RETRY_AFTER = 1.0


class _Pipe(asyncio.Protocol):
    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        # Not always an ``asyncio.Transport`` (uvloop's are its own classes).
        self.transport: Any = None
        self.waiting: deque[asyncio.Future[Any]] = deque()
        self.buffer = bytearray()
        self.replies = 0
        self.watching = False
        self.lost = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        while self.waiting:
            future = self.waiting.popleft()
            if not future.done():
                future.set_exception(redis.ConnectionError("lost the connection to Redis"))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        pos = 0
        while self.waiting:
            try:
                parsed = _reply(self.buffer, pos)
            except ValueError:
                self.close()
                return
            if parsed is None:
                break
            value, pos = parsed
            self.replies += 1
            future = self.waiting.popleft()
            if future.done():  # its caller went away
                continue
            if isinstance(value, redis.ResponseError):
                future.set_exception(value)
            else:
                future.set_result(value)
        if pos:
            del self.buffer[:pos]

    def send(self, command: bytes) -> asyncio.Future[Any]:
        if self.lost or self.transport is None or self.transport.is_closing():
            self.lost = True  # the next command opens another
            raise redis.ConnectionError("no connection to Redis")
        future = asyncio.get_running_loop().create_future()
        self.waiting.append(future)
        self.transport.write(command)
        if not self.watching:
            self._watch_from(self.replies)
        return future

    def _watch_from(self, replies: int) -> None:
        self.watching = True
        asyncio.get_running_loop().call_later(self.timeout, self._check, replies)

    def _check(self, replies: int) -> None:
        self.watching = False
        if not self.waiting or self.lost:
            return
        if self.replies == replies:  # nothing answered for a whole timeout
            self.close()
        else:
            self._watch_from(self.replies)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.abort()


class Pipes:
    """A pipelined connection per event loop, opened on first use."""

    def __init__(self, connect: dict[str, Any], timeout: float = 2.0) -> None:
        self.connect = connect
        self.timeout = timeout
        self._pipes: dict[asyncio.AbstractEventLoop, _Pipe] = {}
        self._opening: dict[asyncio.AbstractEventLoop, asyncio.Future[_Pipe]] = {}
        self._failed_at = 0.0

    @classmethod
    def for_url(cls, url: str, timeout: float = 2.0) -> Pipes | None:
        """For a ``redis://`` or ``unix://`` URL; None for one it cannot open."""
        options: dict[str, Any] = parse_url(url)  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated
        if options.get("connection_class") is SSLConnection:
            return None
        return cls(options, timeout)

    async def command(self, *parts: bytes) -> Any:
        pipe = self._pipes.get(asyncio.get_running_loop())
        if pipe is None or pipe.lost:
            pipe = await self._open()
        return await pipe.send(_encode(parts))

    async def _open(self) -> _Pipe:
        loop = asyncio.get_running_loop()
        opening = self._opening.get(loop)
        if opening is None:
            for gone in [other for other in self._pipes if other.is_closed()]:
                del self._pipes[gone]  # a test's loop, ended
            if time.monotonic() - self._failed_at < RETRY_AFTER:
                raise redis.ConnectionError("Redis was unreachable a moment ago")
            opening = self._opening[loop] = loop.create_future()
            try:
                pipe = await asyncio.wait_for(self._connect(loop), self.timeout)
            except Exception as exc:
                self._failed_at = time.monotonic()
                opening.set_exception(redis.ConnectionError(f"cannot reach Redis: {exc!r}"))
                opening.exception()  # retrieved: the waiters (if any) raise it too
            else:
                self._pipes[loop] = pipe
                opening.set_result(pipe)
            finally:
                del self._opening[loop]
        return await asyncio.shield(opening)

    async def _connect(self, loop: asyncio.AbstractEventLoop) -> _Pipe:
        options = self.connect
        pipe: _Pipe
        if "path" in options:
            _, pipe = await loop.create_unix_connection(
                lambda: _Pipe(self.timeout), options["path"]
            )
        else:
            _, pipe = await loop.create_connection(
                lambda: _Pipe(self.timeout), options.get("host", "localhost"),
                options.get("port", 6379),
            )  # fmt: skip
        try:
            if options.get("password"):
                auth = [str(options["password"]).encode()]
                if options.get("username"):
                    auth.insert(0, str(options["username"]).encode())
                await pipe.send(_encode((b"AUTH", *auth)))
            if options.get("db"):
                await pipe.send(_encode((b"SELECT", str(options["db"]).encode())))
        except BaseException:
            pipe.close()
            raise
        return pipe


def _encode(parts: tuple[bytes, ...]) -> bytes:
    out = [b"*%d\r\n" % len(parts)]
    for part in parts:
        out.append(b"$%d\r\n%s\r\n" % (len(part), part))
    return b"".join(out)


def _reply(buffer: bytearray, pos: int) -> tuple[Any, int] | None:
    """The reply that starts at ``pos`` and where the next one starts, or
    None while it has not all arrived."""
    end = buffer.find(b"\r\n", pos)
    if end < 0:
        return None
    kind, line, pos = buffer[pos], bytes(buffer[pos + 1 : end]), end + 2
    if kind == 0x24:  # $ bulk string
        size = int(line)
        if size < 0:
            return None, pos
        if len(buffer) < pos + size + 2:
            return None
        return bytes(buffer[pos : pos + size]), pos + size + 2
    if kind == 0x2A:  # * array
        count = int(line)
        if count < 0:
            return None, pos
        items = []
        for _ in range(count):
            item = _reply(buffer, pos)
            if item is None:
                return None
            items.append(item[0])
            pos = item[1]
        return items, pos
    if kind == 0x2B:  # + simple string
        return line, pos
    if kind == 0x3A:  # : integer
        return int(line), pos
    if kind == 0x2D:  # - error
        return redis.ResponseError(line.decode("utf-8", "replace")), pos
    raise ValueError(f"not a RESP2 reply: {chr(kind)!r}")
