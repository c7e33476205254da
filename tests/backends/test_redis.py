"""The Redis backends against the real Redis on 127.0.0.1:6379.

Each test uses its own key prefix, so runs in parallel never meet.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient

from rostra.app import create_app
from rostra.backends import build_backends
from rostra.backends.broker import RESYNC
from rostra.backends.redis import RedisBroker, RedisCache, RedisRateLimiter
from rostra.config import Settings
from rostra.http.deps import state_of
from tests.factories import ARTICLE, add_site, reader

REDIS_URL = os.environ.get("ROSTRA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def prefix() -> Iterator[str]:
    value = f"rostra-test:{uuid.uuid4().hex[:12]}:"
    yield value
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=value + "*"))
    if keys:
        client.delete(*keys)


@pytest.fixture
def client_() -> redis.Redis:
    return redis.Redis.from_url(REDIS_URL)


def test_cache_round_trip_and_expiry(client_: redis.Redis, prefix: str) -> None:
    cache = RedisCache(client_, prefix)
    assert cache.get("a") is None
    cache.set("a", b"page", ttl=60)
    assert cache.get("a") == b"page"
    assert client_.ttl(prefix + "a") > 0
    assert [cache.incr("gen") for _ in range(3)] == [1, 2, 3]


def test_cache_add_sets_only_what_is_absent_and_delete_frees_it(
    client_: redis.Redis, prefix: str
) -> None:
    cache = RedisCache(client_, prefix)
    assert cache.add("claim", b"ann", ttl=60) is True
    assert cache.add("claim", b"ben", ttl=60) is False
    assert cache.get("claim") == b"ann"
    assert client_.ttl(prefix + "claim") > 0
    cache.delete("claim")
    assert cache.get("claim") is None
    assert cache.add("claim", b"ben", ttl=60) is True
    assert cache.get("claim") == b"ben"


def test_rate_limiter_window(client_: redis.Redis, prefix: str) -> None:
    limiter = RedisRateLimiter(client_, prefix)
    assert [limiter.hit("k", limit=3, window=60) for _ in range(3)] == [0, 0, 0]
    retry = limiter.hit("k", limit=3, window=60)
    assert 1 <= retry <= 60
    assert limiter.hit("other", limit=3, window=60) == 0
    limiter.reset("k")
    assert limiter.hit("k", limit=3, window=60) == 0


def test_rate_limiter_peek_counts_nothing(client_: redis.Redis, prefix: str) -> None:
    limiter = RedisRateLimiter(client_, prefix)
    assert [limiter.peek("k", limit=2, window=60) for _ in range(5)] == [0] * 5
    assert not client_.exists(prefix + "k")  # looking stores nothing
    assert [limiter.hit("k", limit=2, window=60) for _ in range(2)] == [0, 0]
    retry = limiter.peek("k", limit=2, window=60)
    assert 1 <= retry <= 60
    assert client_.zcard(prefix + "k") == 2
    assert limiter.peek("other", limit=2, window=60) == 0
    limiter.reset("k")
    assert limiter.peek("k", limit=2, window=60) == 0


def test_rate_limiter_peek_sees_old_hits_leave(client_: redis.Redis, prefix: str) -> None:
    limiter = RedisRateLimiter(client_, prefix)
    assert limiter.hit("k", limit=1, window=60) == 0
    # The hit made 61 seconds ago, as the window sees it: out of the window.
    member = client_.zrange(prefix + "k", 0, -1)[0]
    assert isinstance(member, bytes)
    client_.zincrby(prefix + "k", -61, member)
    assert limiter.peek("k", limit=1, window=60) == 0


def test_rate_limiter_lets_attempts_through_when_redis_is_down(prefix: str) -> None:
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    assert RedisRateLimiter(dead, prefix).hit("k", limit=1, window=60) == 0
    assert RedisRateLimiter(dead, prefix).peek("k", limit=1, window=60) == 0


def test_broker_carries_messages_between_listeners(client_: redis.Redis, prefix: str) -> None:
    broker = RedisBroker(REDIS_URL, client_, prefix)

    async def scenario() -> list[str]:
        got: list[str] = []
        listening = broker.listen()
        got.append(await anext(listening))  # connected: a resync marker first
        assert broker.healthy
        await asyncio.to_thread(broker.publish, '{"c":"story:1"}')
        got.append(await asyncio.wait_for(anext(listening), timeout=5))
        await listening.aclose()
        return got

    assert asyncio.run(scenario()) == [RESYNC, '{"c":"story:1"}']
    assert not broker.healthy


def test_broker_publish_survives_redis_down(prefix: str) -> None:
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    RedisBroker("redis://127.0.0.1:1/0", dead, prefix).publish("{}")  # logged, not raised


def test_settings_choose_redis(settings: Settings, prefix: str) -> None:
    chosen = build_backends(
        settings.model_copy(update={"redis_url": REDIS_URL, "redis_prefix": prefix})
    )
    assert isinstance(chosen.cache, RedisCache)
    assert isinstance(chosen.ratelimiter, RedisRateLimiter)
    assert isinstance(chosen.broker, RedisBroker)


def test_two_processes_share_the_page_cache(settings: Settings, prefix: str) -> None:
    """A write through one app retires the cached page that another app holds:
    the reason --workers N requires Redis."""
    shared = settings.model_copy(update={"redis_url": REDIS_URL, "redis_prefix": prefix})
    one = create_app(shared, migrate_on_start=False, run_jobs=False)
    two = create_app(shared, migrate_on_start=False, run_jobs=False)
    try:
        with TestClient(one) as a, TestClient(two) as b:
            add_site(one)
            author = reader(a)
            a.post("/api/v1/comments", headers=author, json={"url": ARTICLE, "body": "first"})
            assert len(b.get("/api/v1/comments", params={"url": ARTICLE}).json()["comments"]) == 1
            a.post("/api/v1/comments", headers=author, json={"url": ARTICLE, "body": "second"})
            page = b.get("/api/v1/comments", params={"url": ARTICLE}).json()
            assert [c["html"] for c in page["comments"]] == ["<p>second</p>", "<p>first</p>"]
    finally:
        from tests.conftest import empty_tables

        empty_tables(state_of(one).engine)
        state_of(one).engine.dispose()
        state_of(two).engine.dispose()


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_event_loop_reads_match_the_clients(client_: redis.Redis, prefix: str, loop: str) -> None:
    """``aget_many`` (a pipelined connection of the loop's own) reads what
    ``get_many`` reads: values, misses, and many at once, each its own; on
    asyncio's loop and on uvloop's (which the server runs)."""
    cache = RedisCache(client_, prefix, REDIS_URL)
    for i in range(50):
        cache.set(f"k{i}", str(i).encode() * (i + 1), ttl=60)

    async def reads() -> list[list[bytes | None]]:
        wanted = [[f"k{i}", "missing", f"k{(i * 7) % 50}"] for i in range(200)]
        got = await asyncio.gather(*(cache.aget_many(keys) for keys in wanted))
        assert got == [cache.get_many(keys) for keys in wanted]
        return [await cache.aget_many([]), await cache.aget_many(["k3"])]

    if loop == "uvloop":
        uvloop = pytest.importorskip("uvloop")
        assert uvloop.run(reads()) == [[], [b"3333"]]
    else:
        assert asyncio.run(reads()) == [[], [b"3333"]]


def test_event_loop_reads_select_the_database(client_: redis.Redis, prefix: str) -> None:
    other = redis.Redis.from_url(REDIS_URL.rsplit("/", 1)[0] + "/3")
    other.set(prefix + "k", b"in db 3", ex=60)
    try:
        on_3 = RedisCache(other, prefix, REDIS_URL.rsplit("/", 1)[0] + "/3")
        on_0 = RedisCache(client_, prefix, REDIS_URL)
        assert asyncio.run(on_3.aget_many(["k"])) == [b"in db 3"]
        assert asyncio.run(on_0.aget_many(["k"])) == [None]
    finally:
        other.delete(prefix + "k")


def test_event_loop_reads_fail_fast_without_redis(prefix: str) -> None:
    from rostra.backends import resp
    from tests.livesrv import free_port

    url = f"redis://127.0.0.1:{free_port()}/0"
    cache = RedisCache(redis.Redis.from_url(url), prefix, url)

    async def twice() -> float:
        for _ in range(2):  # the second within RETRY_AFTER: refused at once
            started = time.monotonic()
            with pytest.raises(redis.ConnectionError):
                await cache.aget_many(["k"])
        return time.monotonic() - started

    assert asyncio.run(twice()) < resp.RETRY_AFTER
    # A wrong password is refused as Redis refuses it.
    wrong = RedisCache(redis.Redis.from_url(REDIS_URL), prefix, "redis://:nope@127.0.0.1:6379/0")
    with pytest.raises(redis.ConnectionError):
        asyncio.run(wrong.aget_many(["k"]))


def test_event_loop_reads_time_out_on_a_silent_server(prefix: str) -> None:
    """A Redis that takes the command and never answers fails the read
    after the timeout, as redis-py's socket timeout would."""
    from rostra.backends.resp import Pipes

    async def silent() -> None:
        async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.read(1 << 16)
            await asyncio.sleep(10)

        server = await asyncio.start_server(hold, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        pipes = Pipes.for_url(f"redis://127.0.0.1:{port}/0", timeout=0.3)
        assert pipes is not None
        started = time.monotonic()
        with pytest.raises(redis.ConnectionError):
            await pipes.command(b"MGET", b"k")
        assert time.monotonic() - started < 3
        server.close()

    asyncio.run(silent())


def test_event_loop_reads_come_back_with_redis(tmp_path: Path, prefix: str) -> None:
    """Redis gone: reads fail (the caller falls back); Redis back: the next
    read after ``RETRY_AFTER`` opens a new connection. An error reply fails
    its own command only."""
    from rostra.backends import resp
    from tests.livesrv import free_port
    from tests.test_scale_out import RedisServer

    server = RedisServer(free_port(), tmp_path)
    server.start()
    url = f"redis://127.0.0.1:{server.port}/0"
    cache = RedisCache(redis.Redis.from_url(url), prefix, url)
    try:
        cache.set("k", b"v", ttl=60)

        async def run() -> None:
            assert await cache.aget_many(["k"]) == [b"v"]
            pipes = cache._pipes
            assert pipes is not None
            with pytest.raises(redis.ResponseError):
                await pipes.command(b"NOSUCHCOMMAND")
            assert await cache.aget_many(["k"]) == [b"v"]
            server.stop()
            with pytest.raises(redis.ConnectionError):
                await cache.aget_many(["k"])
            server.start()
            cache.set("k", b"again", ttl=60)
            await asyncio.sleep(resp.RETRY_AFTER)
            assert await cache.aget_many(["k"]) == [b"again"]

        asyncio.run(run())
    finally:
        server.stop()


def test_a_tls_url_reads_in_a_thread(client_: redis.Redis, prefix: str) -> None:
    cache = RedisCache(client_, prefix, "rediss://127.0.0.1:6379/0")
    cache.set("k", b"v", ttl=60)
    assert asyncio.run(cache.aget_many(["k", "no"])) == [b"v", None]
