"""Token-bucket rate limits per (bucket, key); 429 M_LIMIT_EXCEEDED with retry_after_ms when empty."""

from __future__ import annotations

import time
from dataclasses import dataclass

from ..errors import limit_exceeded


@dataclass(frozen=True)
class Bucket:
    per_second: float
    burst: int


BUCKETS: dict[str, Bucket] = {
    "login": Bucket(per_second=0.2, burst=5),
    "register": Bucket(per_second=0.1, burst=5),
    "message": Bucket(per_second=10.0, burst=50),
    "default": Bucket(per_second=20.0, burst=100),
}
_MAX_KEYS = 100_000


class RateLimiter:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._state: dict[tuple[str, str], tuple[float, float]] = {}

    def check(self, bucket_name: str, key: str) -> None:
        """Take one token from the bucket for `key`, or raise M_LIMIT_EXCEEDED."""
        if not self.enabled:
            return
        bucket = BUCKETS[bucket_name]
        now = time.monotonic()
        tokens, last = self._state.get((bucket_name, key), (float(bucket.burst), now))
        tokens = min(float(bucket.burst), tokens + (now - last) * bucket.per_second)
        if tokens < 1.0:
            retry_ms = int((1.0 - tokens) / bucket.per_second * 1000) + 1
            raise limit_exceeded(retry_ms)
        if len(self._state) > _MAX_KEYS:
            self._state.clear()  # bounded memory under address-spraying; limits restart, never widen
        self._state[(bucket_name, key)] = (tokens - 1.0, now)
