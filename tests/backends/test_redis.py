"""The Redis backends against the real Redis on 127.0.0.1:6379.

Each test uses its own key prefix, so runs in parallel never meet.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator

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
