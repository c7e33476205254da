"""Apply a configured rate limit to a request.

Usage, from any endpoint::

    from rostra.accounts.ratelimit import enforce, by_address

    enforce(request, "post", by_address(request), f"user:{user.id}")

``name`` picks the setting ``rate_NAME`` (``COUNT/SECONDS``); each key is
counted separately against that limit, so "per account AND per address"
is two keys. Keys are free-form strings; prefix them with what they are
(``addr:``, ``user:``, ``email:``) so two kinds never share a counter.
Nothing happens when ``settings.rate_limit_enabled`` is false.
"""

from __future__ import annotations

import hashlib

from fastapi import Request

from rostra.backends.ratelimit import RateLimiter
from rostra.config import Settings
from rostra.errors import RateLimited
from rostra.http.client import client_address


def by_address(request: Request) -> str:
    return f"addr:{client_address(request)}"


def enforce(request: Request, name: str, *keys: str) -> None:
    """Count one attempt under every key; raise 429 ``rate_limited`` if one is over.

    Checking stops at the first key that is over its limit, so a refused
    attempt does not also use up the other keys' allowance.
    """
    retry_after = _hit(request, name, keys)
    if retry_after:
        raise RateLimited(retry_after)


def allowed(request: Request, name: str, *keys: str) -> bool:
    """Like ``enforce`` but answers instead of raising: for work that is
    skipped quietly when over the limit (a 429 there would tell a stranger
    something, e.g. that an address has an account)."""
    return _hit(request, name, keys) == 0


def _hit(request: Request, name: str, keys: tuple[str, ...]) -> int:
    settings: Settings = request.app.state.settings
    if not settings.rate_limit_enabled:
        return 0
    limit = settings.rate(name)
    limiter: RateLimiter = request.app.state.backends.ratelimiter
    for key in keys:
        # Hashed so that a shared limiter (Redis) never stores addresses or
        # emails in the clear, and keys have a bounded size.
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        retry_after = limiter.hit(f"rl:{name}:{digest}", limit.count, limit.seconds)
        if retry_after:
            return retry_after
    return 0
