"""Redis versions of the cache, the rate limiter and the broker, for several
processes that must see one another's state (``ROSTRA_REDIS_URL``).

Every key carries a prefix, so one Redis can serve several Rostra
installations (and the tests) without collisions.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncGenerator

import anyio.to_thread
import redis
import redis.asyncio as aioredis

from rostra.backends.broker import RESYNC
from rostra.backends.resp import Pipes

log = logging.getLogger(__name__)

# Sliding window: drop hits older than the window, count, add this hit, all
# in one round trip; the caller learns when the oldest hit leaves the window.
# With no member, the script only looks (``peek``): it adds no hit.
_HIT = """
local key, now, window, limit, member = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]),
  tonumber(ARGV[3]), ARGV[4]
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) >= limit then
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return math.ceil(tonumber(oldest[2]) + window - now)
end
if member == '' then
  return 0
end
redis.call('ZADD', key, now, member)
redis.call('EXPIRE', key, math.ceil(window))
return 0
"""


class RedisCache:
    def __init__(self, client: redis.Redis, prefix: str, url: str | None = None) -> None:
        self.r = client
        self.prefix = prefix
        #: Reads for the event loop itself (``aget_many``), where the URL allows.
        self._pipes = Pipes.for_url(url) if url else None

    def get(self, key: str) -> bytes | None:
        value = self.r.get(self.prefix + key)
        return value if isinstance(value, bytes) else None

    def get_many(self, keys: list[str]) -> list[bytes | None]:
        if not keys:
            return []
        values = self.r.mget([self.prefix + key for key in keys])
        return [v if isinstance(v, bytes) else None for v in values]

    async def aget_many(self, keys: list[str]) -> list[bytes | None]:
        """``get_many`` from the event loop: over a pipelined connection of
        that loop's own, else (a URL it cannot open) in a thread."""
        if not keys:
            return []
        if self._pipes is None:
            return await anyio.to_thread.run_sync(self.get_many, keys)
        reply = await self._pipes.command(b"MGET", *[(self.prefix + k).encode() for k in keys])
        if not isinstance(reply, list) or len(reply) != len(keys):
            raise redis.RedisError(f"MGET answered {reply!r}")
        return [v if isinstance(v, bytes) else None for v in reply]

    def set(self, key: str, value: bytes, ttl: int) -> None:
        self.r.set(self.prefix + key, value, ex=ttl)

    def incr(self, key: str) -> int:
        return int(self.r.incr(self.prefix + key))

    def add(self, key: str, value: bytes, ttl: int) -> bool:
        return bool(self.r.set(self.prefix + key, value, ex=ttl, nx=True))

    def delete(self, key: str) -> None:
        self.r.delete(self.prefix + key)


class RedisRateLimiter:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.r = client
        self.prefix = prefix
        self._hit = client.register_script(_HIT)

    def hit(self, key: str, limit: int, window: int) -> int:
        return self._look(key, limit, window, uuid.uuid4().hex)

    def peek(self, key: str, limit: int, window: int) -> int:
        return self._look(key, limit, window, "")

    def _look(self, key: str, limit: int, window: int, member: str) -> int:
        try:
            retry = self._hit(keys=[self.prefix + key], args=[time.time(), window, limit, member])
        except redis.RedisError:
            # Redis down: let the attempt through rather than fail every
            # sign-in and post; the limits come back with Redis.
            log.warning("rate limiter: Redis unavailable, allowing %s", key, exc_info=True)
            return 0
        return max(0, int(retry))

    def reset(self, key: str) -> None:
        self.r.delete(self.prefix + key)


class RedisBroker:
    """Publishes with the synchronous client (from any thread); each process
    listens on one pub/sub connection, reconnecting with back-off."""

    CHANNEL = "live"

    def __init__(self, url: str, client: redis.Redis, prefix: str) -> None:
        self.url = url
        self.r = client
        self.channel = prefix + self.CHANNEL
        self._healthy = False

    @property
    def healthy(self) -> bool:
        return self._healthy

    def publish(self, message: str) -> None:
        try:
            self.r.publish(self.channel, message)
        except redis.RedisError:
            # The event is in the database; the other processes' hubs fill
            # the gap when the next event arrives or when Redis returns.
            log.warning("broker: Redis unavailable, event not broadcast", exc_info=True)

    async def listen(self) -> AsyncGenerator[str, None]:
        delay = 0.5
        while True:
            client = aioredis.from_url(self.url, socket_connect_timeout=2)
            pubsub = client.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                self._healthy = True
                delay = 0.5
                yield RESYNC
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        data = message["data"]
                        yield data.decode() if isinstance(data, bytes) else str(data)
            except (redis.RedisError, OSError):
                log.warning("broker: lost Redis, retrying in %.1f s", delay)
            finally:
                self._healthy = False
                await pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated
                await client.aclose()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)
