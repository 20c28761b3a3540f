"""Token-bucket rate limits per (bucket, key); 429 M_LIMIT_EXCEEDED with retry_after_ms when empty.

Memory is bounded without giving anyone a fresh start: when the table is full, the least recently used
bucket is dropped only if it is idle (refilled to its burst, so it remembers nothing). If the oldest
buckets are all still draining, which takes thousands of new keys a second (an address-spraying
attack), new keys share one overflow bucket per kind until idle ones can be dropped again.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
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
_EVICTION_PROBES = 8  # least recently used buckets looked at for an idle one, per new key at capacity
_OVERFLOW = "\x00overflow"  # never a real key (client addresses and user IDs have no NUL)


class RateLimiter:
    def __init__(self, enabled: bool, max_keys: int | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.enabled = enabled
        self.max_keys = max_keys or _MAX_KEYS
        self._clock = clock
        # (bucket, key) -> (tokens, when last used), least recently used first
        self._state: OrderedDict[tuple[str, str], tuple[float, float]] = OrderedDict()

    def check(self, bucket_name: str, key: str) -> None:
        """Take one token from the bucket for `key`, or raise M_LIMIT_EXCEEDED."""
        if not self.enabled:
            return
        bucket = BUCKETS[bucket_name]
        now = self._clock()
        state_key = (bucket_name, key)
        state = self._state.get(state_key)
        if state is None and len(self._state) >= self.max_keys and not self._drop_an_idle_bucket(now):
            state_key = (bucket_name, _OVERFLOW)
            state = self._state.get(state_key)
        tokens, last = state if state is not None else (float(bucket.burst), now)
        tokens = min(float(bucket.burst), tokens + (now - last) * bucket.per_second)
        allowed = tokens >= 1.0
        # Refused requests count as use too: a key that keeps knocking stays among the most recent.
        self._state[state_key] = (tokens - 1.0 if allowed else tokens, now)
        self._state.move_to_end(state_key)
        if not allowed:
            retry_ms = int((1.0 - tokens) / bucket.per_second * 1000) + 1
            raise limit_exceeded(retry_ms)

    def _drop_an_idle_bucket(self, now: float) -> bool:
        """Drop one idle bucket among the least recently used; the busy ones looked at go to the back."""
        for _ in range(min(_EVICTION_PROBES, len(self._state))):
            (bucket_name, key), (tokens, last) = next(iter(self._state.items()))
            bucket = BUCKETS[bucket_name]
            if tokens + (now - last) * bucket.per_second >= bucket.burst:
                del self._state[(bucket_name, key)]
                return True
            self._state.move_to_end((bucket_name, key))
        return False
