"""Live fan-out: how long after a POST do N open event streams have the
event naming the new comment?

One asyncio process (uvloop when present) holds every stream on a raw
connection: HTTP/1.1, chunked or not, gzip or not (the client sends
``Accept-Encoding: gzip`` as browsers do for EventSource), and splits the
server-sent events itself. The clock starts just before the POST is sent;
each stream's time is when it had read the whole first event that names the
comment (its JSON holds the id under ``id`` or ``comment_id``; a non-JSON
event must contain the number). Events are kept only while a measurement is
armed, so idle keep-alive comments cost nothing.

The client shares the machine with the server: on 2 cores, reading 5,000
sockets takes the client some milliseconds of its own, included in the
figures (an upper bound, not a flattering one).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import re
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit


class NotAvailable(Exception):
    """The server has no event stream at that path (yet)."""


@dataclass
class _Stream:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    events: list[tuple[float, str]] = field(default_factory=list)
    closed: bool = False
    task: asyncio.Task[None] | None = None


@dataclass
class Sample:
    """One POST seen by the open streams: seconds from the POST's start
    until each stream had the event (None: not within the wait)."""

    comment_id: int
    post_seconds: float
    seconds: list[float | None]


def names_comment(data: str, comment_id: int) -> bool:
    try:
        obj: Any = json.loads(data)
    except ValueError:
        return re.search(rf"(?<!\d){comment_id}(?!\d)", data) is not None
    todo = [obj]
    while todo:
        item = todo.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key in ("id", "comment_id") and value == comment_id:
                    return True
                todo.append(value)
        elif isinstance(item, list):
            todo.extend(item)
    return False


class Streams:
    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        self.request = (
            f"GET {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            "Accept: text/event-stream\r\nCache-Control: no-cache\r\n"
            "Accept-Encoding: gzip\r\n\r\n"
        ).encode()
        self.streams: list[_Stream] = []
        self.armed = False
        self.failed_opens = 0

    @property
    def open_count(self) -> int:
        return sum(1 for s in self.streams if not s.closed)

    async def _open_one(self) -> None:
        reader, writer = await asyncio.open_connection(self.host, self.port, limit=1 << 20)
        writer.write(self.request)
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {
            k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:] if x)
        }
        if status != 200 or "text/event-stream" not in headers.get("content-type", ""):
            writer.close()
            raise NotAvailable(f"answered {status} {headers.get('content-type', '')}".strip())
        stream = _Stream(reader, writer)
        stream.task = asyncio.create_task(self._read(stream, headers))
        self.streams.append(stream)

    async def open(self, total: int, concurrency: int = 100) -> None:
        """Open streams until ``total`` are open (the first one tells whether
        the endpoint exists: NotAvailable if not)."""
        if not self.streams:
            await self._open_one()
        gate = asyncio.Semaphore(concurrency)

        async def one() -> None:
            async with gate:
                try:
                    await self._open_one()
                except (OSError, TimeoutError, asyncio.IncompleteReadError, NotAvailable):
                    self.failed_opens += 1

        await asyncio.gather(*(one() for _ in range(total - len(self.streams))))

    async def _read(self, stream: _Stream, headers: dict[str, str]) -> None:
        inflate = (
            zlib.decompressobj(wbits=31) if headers.get("content-encoding") == "gzip" else None
        )
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        buffer = b""
        reader = stream.reader
        try:
            while True:
                if chunked:
                    size_line = await reader.readline()
                    if not size_line:
                        break
                    size = int(size_line.split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        break
                    data = (await reader.readexactly(size + 2))[:-2]
                else:
                    data = await reader.read(65536)
                    if not data:
                        break
                if inflate is not None:
                    data = inflate.decompress(data)
                buffer = (buffer + data).replace(b"\r\n", b"\n")
                while b"\n\n" in buffer:
                    raw, buffer = buffer.split(b"\n\n", 1)
                    if self.armed:
                        self._event(stream, raw)
        except (OSError, asyncio.IncompleteReadError, ValueError, zlib.error):
            pass
        finally:
            stream.closed = True

    @staticmethod
    def _event(stream: _Stream, raw: bytes) -> None:
        data = [
            line[5:].removeprefix(b" ") for line in raw.split(b"\n") if line.startswith(b"data:")
        ]
        if data:
            stream.events.append((time.perf_counter(), b"\n".join(data).decode("utf-8", "replace")))

    async def measure(self, post: Callable[[], Awaitable[int]], wait: float = 10.0) -> Sample:
        for s in self.streams:
            s.events.clear()
        self.armed = True
        start = time.perf_counter()
        comment_id = await post()
        post_seconds = time.perf_counter() - start
        found: dict[int, float] = {}
        checked = [0] * len(self.streams)
        deadline = start + wait
        while True:
            for i, s in enumerate(self.streams):
                if i in found:
                    continue
                for at, data in s.events[checked[i] :]:
                    if names_comment(data, comment_id):
                        found[i] = at - start
                        break
                checked[i] = len(s.events)
            if len(found) == len(self.streams) or time.perf_counter() > deadline:
                break
            await asyncio.sleep(0.05)
        self.armed = False
        return Sample(comment_id, post_seconds, [found.get(i) for i in range(len(self.streams))])

    async def close(self) -> None:
        for s in self.streams:
            s.writer.close()
        for s in self.streams:
            if s.task:
                s.task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await s.task
        self.streams.clear()


def summarise(samples: list[Sample], within: float = 5.0) -> dict[str, Any]:
    """p50 / p99 / max over every stream of every POST (a stream that never
    had the event counts as infinitely late, so it cannot flatter a
    percentile), and the worst POST's count of streams that had the event
    within ``within`` seconds."""
    times = sorted(math.inf if t is None else t for s in samples for t in s.seconds)

    def pct(p: float) -> float | None:
        if not times:
            return None
        return times[min(len(times) - 1, math.ceil(p / 100 * len(times)) - 1)]

    return {
        "streams": len(samples[0].seconds) if samples else 0,
        "posts": len(samples),
        "p50_s": pct(50),
        "p99_s": pct(99),
        "max_s": times[-1] if times else None,
        "missing": sum(1 for t in times if t == math.inf),
        "within_s": within,
        "got_within": min(
            (sum(1 for t in s.seconds if t is not None and t <= within) for s in samples),
            default=0,
        ),
        "post_ms": [round(s.post_seconds * 1000, 1) for s in samples],
    }
