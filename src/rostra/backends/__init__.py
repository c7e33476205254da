"""Optional services behind small interfaces, each with a built-in default.

The defaults run in one process with no extra servers; the scaled-out
versions (Redis, SMTP) are chosen by configuration in ``build_backends``.
"""

from __future__ import annotations

from dataclasses import dataclass

from rostra.backends.broker import Broker, InProcessBroker
from rostra.backends.cache import Cache, MemoryCache
from rostra.backends.mail import Mailer, make_mailer
from rostra.backends.ratelimit import MemoryRateLimiter, RateLimiter
from rostra.config import Settings


@dataclass
class Backends:
    broker: Broker
    cache: Cache
    mailer: Mailer
    ratelimiter: RateLimiter


def build_backends(settings: Settings) -> Backends:
    """The one place that chooses: Redis when ``ROSTRA_REDIS_URL`` is set
    (state shared by every process), else the in-process defaults."""
    if settings.redis_url:
        import redis

        from rostra.backends.redis import RedisBroker, RedisCache, RedisRateLimiter

        client = redis.Redis.from_url(
            settings.redis_url, socket_timeout=2, socket_connect_timeout=2
        )
        prefix = settings.redis_prefix
        return Backends(
            broker=RedisBroker(settings.redis_url, client, prefix),
            cache=RedisCache(client, prefix, settings.redis_url),
            mailer=make_mailer(settings),
            ratelimiter=RedisRateLimiter(client, prefix),
        )
    return Backends(
        broker=InProcessBroker(),
        cache=MemoryCache(),
        mailer=make_mailer(settings),
        ratelimiter=MemoryRateLimiter(),
    )
