"""One process's hub: listens to the bus once, and hands each event to the
streams of that process that follow its channel.

Every event carries its channel's number, so a hub knows exactly what it
has: an event it already has is dropped, one that arrives after a gap waits
while the hub reads the missing ones from the event log, and after the bus
(re)connects — or every few seconds while it is down — the hub reads the log
for whatever it missed. A stream therefore sees each event of its channels
once, in order, with no gap; when that cannot be (it asks to resume from
further back than the log reaches) it is told to reload.

All state lives on the event loop's thread; ``deliver`` may be called from
any thread (the commit hook runs where the commit happened).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Generator, Sequence
from types import CoroutineType
from typing import Any, ClassVar

import anyio.to_thread
from starlette.types import Message, Send

from rostra.backends.broker import RESYNC, Broker
from rostra.http.live.errors import TooManyStreams
from rostra.http.live.log import Event

log = logging.getLogger(__name__)

#: Reads the events of a channel after a number, at most a limit (None: too far back).
Fetch = Callable[[str, int, int], "list[Event] | None"]
#: Reads the number of a channel's latest event.
LastSeq = Callable[[str], int]

RING = 128  # recent frames kept per followed channel, to resume without a query
MAX_REPLAY = 500  # the most a resuming stream is replayed; further back it reloads
MAX_QUEUED = 1000  # frames waiting for a slow client before it is dropped (it resumes)
IDLE_TOPIC_SECONDS = 60.0
POLL_SECONDS = 2.0  # how often the log is read while the bus is down
RELOAD = b"event: reload\ndata: {}\n\n"
PING = b": ping\n\n"

RUNNING: weakref.WeakSet[Hub] = weakref.WeakSet()


def frame(event: Event) -> bytes:
    return f"event: {event.kind}\ndata: {event.data}\n\n".encode()


class Subscription:
    """What one stream follows, and how its frames reach the client.

    ``last[i]`` is the number of the latest event of ``channels[i]`` it has
    been given; the stream's SSE id is those numbers joined by dots, which a
    reconnecting client sends back as ``Last-Event-ID``.

    Once the stream's answer has begun, ``attach`` gives the subscription the
    answer's ``send``, and every frame is written there and then, in the
    hub's own loop over an event's followers: no task is woken per stream
    per event, and a frame of a stream of one channel is the same bytes for
    every stream. A write the server cannot take at once (its buffer for a
    slow client is full) is finished by a task of its own; frames pushed
    meanwhile wait, and more than ``MAX_QUEUED`` of them close the stream (its
    client resumes). Until ``attach`` (and in tests) frames wait for ``next``.
    """

    __slots__ = (
        "_ended",
        "_frames",
        "_held",
        "_send",
        "_waiter",
        "_writing",
        "address",
        "channels",
        "closed",
        "last",
    )

    def __init__(self, channels: Sequence[str], last: Sequence[int], address: str) -> None:
        self.channels = tuple(channels)
        self.last = list(last)
        self.address = address
        self.closed = False
        self._frames: list[bytes] = []
        self._waiter: asyncio.Future[None] | None = None
        # Channels still being replayed: their live frames wait here.
        self._held: dict[int, list[tuple[int, bytes]]] | None = None
        self._send: Send | None = None
        self._writing: asyncio.Task[None] | None = None  # a write the server made wait
        self._ended = False  # the answer's last message is sent (or its client is gone)

    def event_id(self) -> str:
        return ".".join(str(n) for n in self.last)

    def push(
        self,
        index: int,
        seq: int,
        data: bytes,
        framed: bytes | None = None,
        *,
        replay: bool = False,
    ) -> None:
        """Queue (or write) event ``seq`` of ``channels[index]``; ``framed``:
        ``data`` with its id line for a stream of that one channel, made once
        for all of them."""
        if not replay and self._held is not None and index in self._held:
            self._held[index].append((seq, data))
            return
        if seq <= self.last[index]:
            return
        self.last[index] = seq
        if framed is None or len(self.last) != 1:
            framed = b"id: " + self.event_id().encode() + b"\n" + data
        self._append(framed)

    def push_raw(self, data: bytes) -> None:
        self._append(data)

    def reload(self, index: int, current: int) -> None:
        self.last[index] = current
        self._append(b"id: " + self.event_id().encode() + b"\n" + RELOAD)

    def hold(self, index: int) -> None:
        if self._held is None:
            self._held = {}
        self._held[index] = []

    def release(self, index: int) -> None:
        held = self._held.pop(index, []) if self._held is not None else []
        if not self._held:
            self._held = None
        for seq, data in held:
            self.push(index, seq, data)

    def _append(self, data: bytes) -> None:
        if self.closed:
            return
        if len(self._frames) >= MAX_QUEUED:
            log.info("live: a stream fell %d events behind; closing it", MAX_QUEUED)
            self.close()
            return
        self._frames.append(data)
        if self._send is not None:
            if self._writing is None:
                self._flush()
        elif self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def close(self) -> None:
        self.closed = True
        self._frames.clear()
        if self._send is not None:
            if self._writing is None:
                self._flush()  # the answer's end
        elif self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def gone(self) -> None:
        """The client went away: nothing more is written."""
        self._ended = True
        if self._writing is not None:
            self._writing.cancel()
        self.close()

    async def next(self) -> bytes | None:
        """The next frames (joined), or None once closed; for a stream not attached."""
        while not self._frames:
            if self.closed:
                return None
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
            self._waiter = None
        if self.closed:
            return None
        out = b"".join(self._frames)
        self._frames.clear()
        return out

    # --- writing -----------------------------------------------------------

    def attach(self, send: Send) -> None:
        """Write to ``send`` (the answer has begun): what waits now, the rest as it comes."""
        self._send = send
        self._flush()

    def _flush(self) -> None:
        while self._writing is None and not self._ended:
            frames = self._frames
            if frames:
                body = frames[0] if len(frames) == 1 else b"".join(frames)
                frames.clear()
                message: Message = {"type": "http.response.body", "body": body, "more_body": True}
            elif self.closed:
                self._ended = True
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            else:
                return
            self._write(message)

    def _write(self, message: Message) -> None:
        """Send ``message`` now: a server's ``send`` that need not wait (uvicorn's,
        unless the client's buffer is full) runs to its end right here; one
        that waits is finished by a task, as ``await`` would have."""
        assert self._send is not None
        sending = self._send(message)
        if type(sending) is not CoroutineType:  # an awaitable of another kind (a cheap check)
            self._writing = asyncio.ensure_future(self._finish(sending))
            return
        try:
            waiting = sending.send(None)
        except StopIteration:
            return
        except Exception:  # the connection is gone (as the server says it)
            self._ended = True
            self.close()
            return
        self._writing = asyncio.ensure_future(self._finish(_Resumed(sending, waiting)))

    async def _finish(self, sending: Awaitable[None]) -> None:
        try:
            await sending
        except Exception:
            self._ended = True
            self.close()
            return
        finally:
            self._writing = None
        self._flush()


class _Resumed(Awaitable[None]):
    """Awaiting it finishes a coroutine started by hand and suspended on
    ``waiting`` (what it yielded: the future it waits for), as a task running
    it from the start would have."""

    __slots__ = ("coro", "waiting")

    def __init__(self, coro: Coroutine[Any, Any, None], waiting: Any) -> None:
        self.coro = coro
        self.waiting = waiting

    def __await__(self) -> Generator[Any, Any, None]:
        coro, waiting = self.coro, self.waiting
        while True:
            try:
                value = yield waiting
            except BaseException as exc:  # cancelled: the coroutine is told
                try:
                    waiting = coro.throw(exc)
                except StopIteration:
                    return
                continue
            try:
                waiting = coro.send(value)
            except StopIteration:
                return


class Topic:
    """One followed channel in this process."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.last_seq: int | None = None  # None until read from the log
        self.ready = asyncio.Event()
        self.ring: deque[tuple[int, bytes]] = deque(maxlen=RING)
        self.subs: dict[Subscription, int] = {}
        self.pending: dict[int, Event] = {}
        self.filling = False
        self.idle_since: float | None = None

    def ring_after(self, seq: int) -> list[tuple[int, bytes]] | None:
        """The frames after ``seq`` if the ring still holds them all."""
        if self.last_seq is None or seq >= self.last_seq:
            return []
        if not self.ring or self.ring[0][0] > seq + 1:
            return None
        return [(s, f) for s, f in self.ring if s > seq]


class Hub:
    MAX_PER_ADDRESS: ClassVar[int] = 20

    def __init__(
        self,
        broker: Broker,
        fetch: Fetch,
        last_seq: LastSeq,
        *,
        heartbeat: float = 15.0,
        max_per_address: int | None = None,
    ) -> None:
        self.broker = broker
        self.fetch = fetch
        self.last_seq = last_seq
        self.heartbeat = heartbeat
        self.max_per_address = max_per_address or self.MAX_PER_ADDRESS
        self.topics: dict[str, Topic] = {}
        self.per_address: dict[str, int] = {}
        self.subscriptions: set[Subscription] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task[None]] = []

    # --- life ------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._tasks = [
            asyncio.create_task(self._listen(), name="rostra-live-listen"),
            asyncio.create_task(self._tick(), name="rostra-live-tick"),
        ]
        RUNNING.add(self)

    def close_streams(self) -> None:
        """End every stream (at shutdown: clients reconnect elsewhere and resume)."""
        for sub in list(self.subscriptions):
            sub.close()

    async def stop(self) -> None:
        self.close_streams()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        RUNNING.discard(self)

    # --- events in -------------------------------------------------------

    def deliver(self, event: Event) -> None:
        """Hand over a committed event (from any thread)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._offer(event)
        else:
            loop.call_soon_threadsafe(self._offer, event)

    async def _listen(self) -> None:
        async for message in self.broker.listen():
            if message == RESYNC:
                self._spawn(self._resync())
                continue
            try:
                event = Event.from_message(message)
            except (ValueError, KeyError, TypeError):
                log.warning("live: an unreadable message on the bus: %.80r", message)
                continue
            self._offer(event)

    def _offer(self, event: Event) -> None:
        topic = self.topics.get(event.channel)
        if topic is None:
            return  # nobody here follows it
        if topic.last_seq is not None and event.seq <= topic.last_seq:
            return
        topic.pending[event.seq] = event
        if topic.last_seq is None:
            return  # handled once the topic has read its number
        self._drain(topic)
        if topic.pending and not topic.filling:
            self._spawn(self._fill(topic))

    def _drain(self, topic: Topic) -> None:
        assert topic.last_seq is not None
        for seq in [s for s in topic.pending if s <= topic.last_seq]:
            del topic.pending[seq]
        while topic.last_seq + 1 in topic.pending:
            self._emit(topic, topic.pending.pop(topic.last_seq + 1))

    def _emit(self, topic: Topic, event: Event) -> None:
        data = frame(event)
        framed = b"id: %d\n" % event.seq + data  # as every stream of this one channel sends it
        topic.last_seq = event.seq
        topic.ring.append((event.seq, data))
        for sub, index in list(topic.subs.items()):
            sub.push(index, event.seq, data, framed)

    async def _fill(self, topic: Topic) -> None:
        """Read the events between what the topic has and what arrived."""
        topic.filling = True
        try:
            while topic.pending and topic.last_seq is not None:
                have = topic.last_seq
                if min(topic.pending) <= have + 1:
                    self._drain(topic)
                    continue
                events = await self._read(topic.name, have, MAX_REPLAY)
                if topic.last_seq != have:
                    continue  # something else moved it meanwhile; look again
                if not events:
                    # The log cannot say (swept, or too far behind): skip to
                    # what arrived, and tell the streams their view has a hole.
                    self._skip(topic, min(topic.pending) - 1)
                else:
                    for event in events:
                        topic.pending.setdefault(event.seq, event)
                self._drain(topic)
        finally:
            topic.filling = False

    def _skip(self, topic: Topic, to: int) -> None:
        topic.last_seq = to
        topic.ring.clear()
        for sub, index in list(topic.subs.items()):
            sub.reload(index, to)

    async def _resync(self) -> None:
        """After a (re)connection of the bus: read what every topic missed."""
        for topic in list(self.topics.values()):
            if topic.last_seq is None:
                continue
            have = topic.last_seq
            events = await self._read(topic.name, have, MAX_REPLAY)
            if topic.last_seq != have:
                continue
            if events is None:
                self._skip(topic, await self._number(topic.name))
                continue
            for event in events:
                self._offer(event)

    async def _tick(self) -> None:
        """Heartbeats for every stream, idle topics dropped, and the log read
        while the bus is down."""
        next_beat = time.monotonic() + self.heartbeat
        while True:
            await asyncio.sleep(min(POLL_SECONDS, self.heartbeat))
            now = time.monotonic()
            if now >= next_beat:
                next_beat = now + self.heartbeat
                for sub in list(self.subscriptions):
                    sub.push_raw(PING)
            for name, topic in list(self.topics.items()):
                if topic.subs or topic.idle_since is None:
                    continue
                if now - topic.idle_since > IDLE_TOPIC_SECONDS:
                    del self.topics[name]
            if not self.broker.healthy:
                await self._resync()

    # --- streams out -----------------------------------------------------

    async def subscribe(
        self, channels: Sequence[str], last: Sequence[int] | None, address: str
    ) -> Subscription:
        """Follow ``channels``; resume after the numbers in ``last`` if given.

        Raises :class:`TooManyStreams` when ``address`` has its allowance open.
        """
        if self.per_address.get(address, 0) >= self.max_per_address:
            raise TooManyStreams(self.max_per_address)
        self.per_address[address] = self.per_address.get(address, 0) + 1
        sub = Subscription(channels, [0] * len(channels), address)
        self.subscriptions.add(sub)
        try:
            for index, name in enumerate(channels):
                await self._follow(sub, index, name, None if last is None else last[index])
        except BaseException:
            self.unsubscribe(sub)
            raise
        return sub

    async def _follow(self, sub: Subscription, index: int, name: str, after: int | None) -> None:
        topic = await self._topic(name)
        assert topic.last_seq is not None
        topic.subs[sub] = index
        topic.idle_since = None
        current = topic.last_seq
        if after is None or after == current:
            sub.last[index] = current
            return
        if after > current:  # numbers this server never gave (a reset database)
            sub.reload(index, current)
            return
        sub.last[index] = after
        sub.hold(index)  # live frames wait until the replay is queued
        try:
            frames = topic.ring_after(after)
            if frames is None:
                events = await self._read(name, after, MAX_REPLAY)
                if not events:  # swept (there were events after ``after``)
                    sub.last[index] = topic.last_seq or current
                    sub.reload(index, sub.last[index])
                    return
                frames = [(e.seq, frame(e)) for e in events]
            for seq, data in frames:
                sub.push(index, seq, data, replay=True)
        finally:
            sub.release(index)

    async def _topic(self, name: str) -> Topic:
        topic = self.topics.get(name)
        if topic is None:
            topic = self.topics[name] = Topic(name)
            try:
                topic.last_seq = await self._number(name)
            except BaseException:
                del self.topics[name]
                topic.ready.set()
                raise
            topic.ready.set()
            self._drain(topic)
            if topic.pending and not topic.filling:
                self._spawn(self._fill(topic))
        else:
            await topic.ready.wait()
            if topic.last_seq is None:  # its loading failed; try again
                del self.topics[name]
                return await self._topic(name)
        return topic

    def unsubscribe(self, sub: Subscription) -> None:
        sub.close()
        if sub not in self.subscriptions:
            return
        self.subscriptions.discard(sub)
        left = self.per_address.get(sub.address, 1) - 1
        if left > 0:
            self.per_address[sub.address] = left
        else:
            self.per_address.pop(sub.address, None)
        now = time.monotonic()
        for name in sub.channels:
            topic = self.topics.get(name)
            if topic is not None:
                topic.subs.pop(sub, None)
                if not topic.subs:
                    topic.idle_since = now

    # --- helpers ---------------------------------------------------------

    async def _read(self, channel: str, after: int, limit: int) -> list[Event] | None:
        return await anyio.to_thread.run_sync(self.fetch, channel, after, limit)

    async def _number(self, channel: str) -> int:
        return await anyio.to_thread.run_sync(self.last_seq, channel)

    def _spawn(self, coro: object) -> None:
        task = asyncio.ensure_future(coro)  # type: ignore[call-overload]  # a coroutine
        self._tasks.append(task)
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[None]) -> None:
        with contextlib.suppress(ValueError):
            self._tasks.remove(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("live: a hub task failed", exc_info=task.exception())


def close_all_streams() -> None:
    """End the streams of every hub of this process (the server is stopping);
    from any thread."""
    for hub in list(RUNNING):
        loop = hub._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(hub.close_streams)
