"""Audit entries written around a request: every call of an administrator or security-officer endpoint,
and rate-limit refusals (summarised, so a flood of refused requests cannot flood the log)."""

from __future__ import annotations

from ...clock import Clock
from ...lru import Lru
from .actor import Actor
from .log import AuditLog

# One rate-limit entry per (who, endpoint) a minute, and at most this many a minute in all; the refusals
# not written are counted in the next entry's details ("unrecorded").
RATE_LIMIT_WINDOW_MS = 60_000
MAX_RATE_LIMIT_ENTRIES_PER_WINDOW = 60
_MAX_KEYS = 10_000


class RequestAuditor:
    def __init__(self, audit: AuditLog, clock: Clock) -> None:
        self.audit = audit
        self.clock = clock
        self._last_block: Lru[tuple[str, str], int] = Lru(_MAX_KEYS)
        self._window_start = 0
        self._window_count = 0
        self._unrecorded = 0

    async def admin_request(self, actor: Actor, method: str, path: str, status: int, reason: str | None) -> None:
        """`path` is the route's template (/_chancery/admin/v1/users/{user_id}), never the query string."""
        outcome = "allowed" if status < 400 else "denied" if status in (401, 403) else "failed"
        details = {"method": method, "status": status}
        await self.audit.record_alone(actor, "admin.request", path, outcome=outcome, reason=reason, details=details)

    async def rate_limited(self, actor: Actor, method: str, path: str) -> None:
        now = self.clock.now_ms()
        who = actor.user_id or actor.ip or "-"
        last = self._last_block.get((who, path))
        if last is not None and now - last < RATE_LIMIT_WINDOW_MS:
            self._unrecorded += 1
            return
        if now - self._window_start >= RATE_LIMIT_WINDOW_MS:
            self._window_start, self._window_count = now, 0
        if self._window_count >= MAX_RATE_LIMIT_ENTRIES_PER_WINDOW:
            self._unrecorded += 1
            return
        self._window_count += 1
        self._last_block.put((who, path), now)
        details = {"method": method, "unrecorded": self._unrecorded}
        self._unrecorded = 0
        await self.audit.record_alone(
            actor, "ratelimit.blocked", path, outcome="denied", reason="rate_limit", details=details
        )
