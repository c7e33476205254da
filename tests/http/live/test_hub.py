"""One process's hub: each event once, in order, with no gap — filled from
the log when the bus lost one — resumed from Last-Event-ID, or a reload
when it cannot be; heartbeats; a cap per address; slow streams dropped."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta

import anyio.to_thread
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from rostra.db.base import utcnow
from rostra.db.session import make_sessionmaker
from rostra.http.deps import AppState, state_of
from rostra.http.live import hub as hub_module
from rostra.http.live import log
from rostra.http.live.errors import TooManyStreams
from rostra.http.live.hub import Subscription
from rostra.jobs import housekeeping
from rostra.models import LiveEvent


def run(app: FastAPI, scenario: Callable[[AppState], Awaitable[None]]) -> None:
    state = state_of(app)

    async def main() -> None:
        await state.hub.start()
        try:
            await asyncio.wait_for(scenario(state), timeout=20)
        finally:
            await state.hub.stop()

    asyncio.run(main())


async def publish(state: AppState, channel: str, n: int = 1, *, broadcast: bool = True) -> None:
    """Commit ``n`` events; ``broadcast=False`` commits them without telling anyone
    (as if the bus had lost them)."""

    def write() -> None:
        factory = (
            state.write_sessions
            if broadcast
            else make_sessionmaker(state.engine)  # no commit hooks
        )
        with factory() as db:
            for _ in range(n):
                log.publish(db, channel, "test.event", {"n": 1})
            db.commit()

    await anyio.to_thread.run_sync(write)


async def frames(sub: Subscription, count: int) -> list[tuple[str, str]]:
    """The next ``count`` events as (id, event name), heartbeats skipped."""
    out: list[tuple[str, str]] = []
    buffer = b""
    while len(out) < count:
        data = await sub.next()
        assert data is not None, "the stream closed"
        buffer += data
        *blocks, rest = buffer.split(b"\n\n")
        buffer = rest
        for block in blocks:
            fields = dict(
                line.split(": ", 1) for line in block.decode().splitlines() if ": " in line
            )
            if "event" in fields:
                out.append((fields.get("id", ""), fields["event"]))
    return out


def test_events_arrive_once_in_order_on_their_channel_only(app: FastAPI) -> None:
    async def scenario(state: AppState) -> None:
        a = await state.hub.subscribe(["story:a"], None, "addr:1")
        b = await state.hub.subscribe(["story:b"], None, "addr:1")
        await publish(state, "story:a", 3)
        # Delivered twice here (locally and back over the bus): once to the stream.
        assert await frames(a, 3) == [("1", "test.event"), ("2", "test.event"), ("3", "test.event")]
        await publish(state, "story:b")
        assert await frames(b, 1) == [("1", "test.event")]
        await asyncio.sleep(0.2)
        assert not a._frames  # a got nothing more

    run(app, scenario)


def test_a_gap_is_filled_from_the_log(app: FastAPI) -> None:
    async def scenario(state: AppState) -> None:
        sub = await state.hub.subscribe(["story:a"], None, "addr:1")
        await publish(state, "story:a", 2, broadcast=False)  # lost by the bus
        await publish(state, "story:a")
        assert [i for i, _ in await frames(sub, 3)] == ["1", "2", "3"]

    run(app, scenario)


def test_two_channels_in_one_stream_keep_their_own_numbers(app: FastAPI) -> None:
    async def scenario(state: AppState) -> None:
        await publish(state, "user:7", 4)
        sub = await state.hub.subscribe(["story:a", "user:7"], None, "addr:1")
        assert sub.event_id() == "0.4"
        await publish(state, "story:a")
        await publish(state, "user:7")
        assert [i for i, _ in await frames(sub, 2)] == ["1.4", "1.5"]

    run(app, scenario)


def test_resuming_replays_exactly_what_was_missed(app: FastAPI) -> None:
    async def scenario(state: AppState) -> None:
        await publish(state, "story:a", 5)
        # From the log (nothing of it is in this process's memory yet) …
        sub = await state.hub.subscribe(["story:a"], [2], "addr:1")
        assert [i for i, _ in await frames(sub, 3)] == ["3", "4", "5"]
        await publish(state, "story:a")
        assert [i for i, _ in await frames(sub, 1)] == ["6"]
        state.hub.unsubscribe(sub)
        # … and from memory, now that the hub follows the channel.
        again = await state.hub.subscribe(["story:a"], [4], "addr:1")
        assert [i for i, _ in await frames(again, 2)] == ["5", "6"]
        assert again.event_id() == "6"

    run(app, scenario)


def test_resuming_from_too_far_back_says_reload(app: FastAPI) -> None:
    async def scenario(state: AppState) -> None:
        await publish(state, "story:a", 3)

        def sweep_all() -> None:
            with state.write_sessions() as db:
                db.execute(update(LiveEvent).values(created_at=utcnow() - timedelta(days=2)))
                housekeeping.sweep(db)
                db.commit()

        await anyio.to_thread.run_sync(sweep_all)
        sub = await state.hub.subscribe(["story:a"], [1], "addr:1")
        assert await frames(sub, 1) == [("3", "reload")]
        future = await state.hub.subscribe(["story:a"], [99], "addr:2")  # numbers never given
        assert await frames(future, 1) == [("3", "reload")]

    run(app, scenario)


def test_a_resync_reads_what_the_bus_missed(app: FastAPI) -> None:
    async def scenario(state: AppState) -> None:
        sub = await state.hub.subscribe(["story:a"], None, "addr:1")
        await publish(state, "story:a", 2, broadcast=False)
        await state.hub._resync()
        assert [i for i, _ in await frames(sub, 2)] == ["1", "2"]

    run(app, scenario)


def test_streams_per_address_are_capped(app: FastAPI) -> None:
    async def scenario(state: AppState) -> None:
        state.hub.max_per_address = 2
        first = await state.hub.subscribe(["story:a"], None, "addr:1")
        await state.hub.subscribe(["story:a"], None, "addr:1")
        with pytest.raises(TooManyStreams):
            await state.hub.subscribe(["story:a"], None, "addr:1")
        await state.hub.subscribe(["story:a"], None, "addr:2")  # another address is not
        state.hub.unsubscribe(first)
        await state.hub.subscribe(["story:a"], None, "addr:1")  # a closed one frees a place

    run(app, scenario)


def test_heartbeats_and_a_slow_stream_is_dropped(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hub_module, "MAX_QUEUED", 3)
    monkeypatch.setattr(hub_module, "POLL_SECONDS", 0.05)

    state_of(app).hub.heartbeat = 0.1

    async def scenario(state: AppState) -> None:
        sub = await state.hub.subscribe(["story:a"], None, "addr:1")
        assert (await sub.next()) == hub_module.PING
        slow = await state.hub.subscribe(["story:b"], None, "addr:1")
        await publish(state, "story:b", 4)  # never read: it falls behind
        while not slow.closed:
            await asyncio.sleep(0.05)
        assert await slow.next() is None
        assert slow not in state.hub.subscriptions or slow.closed

    run(app, scenario)


def test_closing_ends_every_stream(app: FastAPI) -> None:
    async def scenario(state: AppState) -> None:
        sub = await state.hub.subscribe(["story:a"], None, "addr:1")
        hub_module.close_all_streams()
        assert await sub.next() is None

    run(app, scenario)


def test_an_unreadable_bus_message_is_ignored(app: FastAPI) -> None:
    async def scenario(state: AppState) -> None:
        sub = await state.hub.subscribe(["story:a"], None, "addr:1")
        state.backends.broker.publish("not json")
        state.backends.broker.publish(json.dumps({"c": "story:a"}))
        await publish(state, "story:a")
        assert [i for i, _ in await frames(sub, 1)] == ["1"]

    run(app, scenario)
