"""The rate-limit policy: a configured limit applied to one request.

Endpoints declare ``limits: RateLimits`` (``rostra.http.deps``) and call::

    limits.enforce("post", f"user:{user.id}", limits.address)

``name`` picks the setting ``rate_NAME`` (``COUNT/SECONDS``); each key is
counted separately against that limit, so "per account AND per address"
is two keys. Keys are free-form strings; prefix them with what they are
(``addr:``, ``user:``, ``email:``) so two kinds never share a counter.
Nothing happens when ``settings.rate_limit_enabled`` is false.
"""

from __future__ import annotations

import hashlib

from rostra.backends.ratelimit import RateLimiter
from rostra.config import Settings
from rostra.errors import RateLimited


class Limits:
    def __init__(self, settings: Settings, limiter: RateLimiter, client: str) -> None:
        self.settings = settings
        self.limiter = limiter
        #: The key of the client's address.
        self.address = f"addr:{client}"

    def enforce(self, name: str, *keys: str) -> None:
        """Count one attempt under every key; raise 429 ``rate_limited`` if one is over.

        Checking stops at the first key that is over its limit, so a refused
        attempt does not also use up the other keys' allowance.
        """
        retry_after = self._hit(name, keys)
        if retry_after:
            raise RateLimited(retry_after)

    def allowed(self, name: str, *keys: str) -> bool:
        """Like ``enforce`` but answers instead of raising: for work that is
        skipped quietly when over the limit (a 429 there would tell a stranger
        something, e.g. that an address has an account)."""
        return self._hit(name, keys) == 0

    def check(self, name: str, *keys: str) -> None:
        """Raise 429 ``rate_limited`` if a key is over its limit, counting
        nothing: for limits on failures, counted with ``count`` once an
        attempt has failed."""
        retry_after = self._hit(name, keys, count=False)
        if retry_after:
            raise RateLimited(retry_after)

    def count(self, name: str, *keys: str) -> None:
        """Count one attempt under every key, and never refuse it."""
        self._hit(name, keys)

    def _hit(self, name: str, keys: tuple[str, ...], *, count: bool = True) -> int:
        if not self.settings.rate_limit_enabled:
            return 0
        limit = self.settings.rate(name)
        look = self.limiter.hit if count else self.limiter.peek
        for key in keys:
            # Hashed so that a shared limiter (Redis) never stores addresses or
            # emails in the clear, and keys have a bounded size.
            digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
            retry_after = look(f"rl:{name}:{digest}", limit.count, limit.seconds)
            if retry_after:
                return retry_after
        return 0
