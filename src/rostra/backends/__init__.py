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
    return Backends(
        broker=InProcessBroker(),
        cache=MemoryCache(),
        mailer=make_mailer(settings),
        ratelimiter=MemoryRateLimiter(),
    )
