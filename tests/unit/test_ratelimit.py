"""The rate limiter keeps its memory bounded without restarting a busy key's count (an attacker spraying
new keys must not win back a fresh burst for the key it is hammering)."""

from __future__ import annotations

import pytest

from chancery.errors import MatrixError
from chancery.http import ratelimit
from chancery.http.ratelimit import RateLimiter


def allowed(limiter: RateLimiter, bucket: str, key: str) -> bool:
    try:
        limiter.check(bucket, key)
    except MatrixError as exc:
        assert exc.errcode == "M_LIMIT_EXCEEDED"
        return False
    return True


def test_a_busy_key_keeps_its_count_while_many_new_keys_arrive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, "_MAX_KEYS", 50)  # as the table's size in production, only smaller
    limiter = RateLimiter(True)
    attempts = [allowed(limiter, "login", "attacker") for _ in range(6)]
    assert attempts == [True] * 5 + [False]
    for index in range(500):  # memory pressure: far more keys than the table holds
        allowed(limiter, "login", f"10.0.{index // 250}.{index % 250}")
    assert not allowed(limiter, "login", "attacker")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_idle_buckets_make_room_and_busy_ones_stay() -> None:
    clock = Clock()
    limiter = RateLimiter(True, max_keys=4, clock=clock)
    for _ in range(5):
        assert allowed(limiter, "login", "busy")
    for key in ("a", "b", "c"):
        assert allowed(limiter, "register", key)
    clock.now += 60  # a, b and c refill completely; "busy" would too, so keep it busy
    for _ in range(5):
        allowed(limiter, "login", "busy")
    for key in ("d", "e", "f"):  # each replaces an idle bucket
        assert allowed(limiter, "register", key)
    assert len(limiter._state) == 4
    assert not allowed(limiter, "login", "busy")


def test_when_every_bucket_is_busy_new_keys_share_one_overflow_bucket() -> None:
    clock = Clock()
    limiter = RateLimiter(True, max_keys=3, clock=clock)
    for key in ("a", "b", "c"):
        for _ in range(5):
            assert allowed(limiter, "register", key)
    # The table is full of drained buckets: newcomers share one bucket of burst 5, the others keep theirs.
    newcomers = [allowed(limiter, "register", f"new{index}") for index in range(7)]
    assert newcomers == [True] * 5 + [False] * 2
    assert not allowed(limiter, "register", "a")
    assert len(limiter._state) <= 4


def test_disabled_limiter_allows_everything() -> None:
    limiter = RateLimiter(False)
    assert all(allowed(limiter, "login", "x") for _ in range(100))
