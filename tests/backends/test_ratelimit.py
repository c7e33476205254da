import time

import pytest

from rostra.backends.ratelimit import MemoryRateLimiter


def test_sliding_window() -> None:
    limiter = MemoryRateLimiter()
    assert [limiter.hit("k", 2, 60) for _ in range(2)] == [0, 0]
    assert 1 <= limiter.hit("k", 2, 60) <= 60


def test_a_short_limits_sweep_keeps_a_long_limits_count(monkeypatch: pytest.MonkeyPatch) -> None:
    """The periodic sweep judges each key by its own window: a burst of
    one-second hits must not clear an hour-long limit that is full."""
    clock = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    limiter = MemoryRateLimiter()
    assert [limiter.hit("register", 2, 3600) for _ in range(2)] == [0, 0]
    clock[0] += 10  # long past the short window, well inside the long one
    for i in range(2100):  # past at least two sweeps
        limiter.hit(f"like:{i}", 100, 1)
    assert limiter.hit("register", 2, 3600) > 0


def test_peek_counts_nothing() -> None:
    limiter = MemoryRateLimiter()
    assert [limiter.peek("k", 2, 60) for _ in range(5)] == [0] * 5
    assert [limiter.hit("k", 2, 60) for _ in range(2)] == [0, 0]
    retry = limiter.peek("k", 2, 60)
    assert 1 <= retry <= 60
    assert limiter.hit("k", 2, 60) == retry
    limiter.reset("k")
    assert limiter.peek("k", 2, 60) == 0


def test_peek_sees_the_window_move_on(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    limiter = MemoryRateLimiter()
    assert limiter.hit("k", 1, 60) == 0
    clock[0] += 45
    assert limiter.peek("k", 1, 60) == 15
    clock[0] += 15
    assert limiter.peek("k", 1, 60) == 0
