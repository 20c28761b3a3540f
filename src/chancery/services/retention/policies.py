"""The server's retention policy: [retention] in chancery.toml, overridden per level by administrators at
run time (PUT /_chancery/admin/v1/retention/policy/...), so a change needs no restart."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...clock import Clock
from ...config.retention import LifetimePolicy, RetentionConfig
from ...errors import invalid_param, not_found
from ...storage import Storage
from ..audit import Actor, AuditLog
from ..audit.actor import current_actor

UNCLASSIFIED = ""  # the key of rooms without a classification
MAX_DAYS = 100 * 366


class RetentionPolicyService:
    def __init__(self, storage: Storage, clock: Clock, config: RetentionConfig, audit: AuditLog) -> None:
        self.storage = storage
        self.clock = clock
        self.config = config
        self.audit = audit

    async def lookup(self) -> Callable[[str | None], LifetimePolicy]:
        """The policy of a level (None: unclassified) as of now: an administrator's, else the configured one."""
        overrides = await self.storage.retention.policies()

        def policy_for(level: str | None) -> LifetimePolicy:
            key = (
                UNCLASSIFIED if level is None or (level not in self.config.levels and level not in overrides) else level
            )
            if key in overrides:
                default_days, max_days = overrides[key]
                return LifetimePolicy(default_days=default_days, max_days=max_days)
            return self.config.policy_for(level)

        return policy_for

    async def describe(self) -> dict[str, Any]:
        overrides = await self.storage.retention.policies()

        def entry(key: str, configured: LifetimePolicy) -> dict[str, Any]:
            if key in overrides:
                return {"default_days": overrides[key][0], "max_days": overrides[key][1], "source": "administrator"}
            return {"default_days": configured.default_days, "max_days": configured.max_days, "source": "config"}

        levels = sorted(set(self.config.levels) | (set(overrides) - {UNCLASSIFIED}))
        return {
            "unclassified": entry(UNCLASSIFIED, self.config.unclassified),
            "levels": {level: entry(level, self.config.levels.get(level, LifetimePolicy())) for level in levels},
            "floor_days": 1,
        }

    async def set_policy(self, level: str | None, default_days: Any, max_days: Any, by: str) -> None:
        for name, value in (("default_days", default_days), ("max_days", max_days)):
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_DAYS:
                raise invalid_param(f"{name} must be a whole number of days from 0 to {MAX_DAYS}")
        if max_days and default_days > max_days:
            raise invalid_param("default_days must not exceed max_days")
        key = level or UNCLASSIFIED
        async with self.storage.db.transaction() as txn:
            await self.storage.retention.set_policy(txn, key, default_days, max_days, by, self.clock.now_ms())
            details = {"level": level, "default_days": default_days, "max_days": max_days}
            await self.audit.record(txn, current_actor() or Actor.cli(), "retention.policy", level, details=details)

    async def reset_policy(self, level: str | None) -> None:
        async with self.storage.db.transaction() as txn:
            if not await self.storage.retention.delete_policy(txn, level or UNCLASSIFIED):
                raise not_found("No policy was set for this level at run time")
            details = {"level": level, "reset": True}
            await self.audit.record(txn, current_actor() or Actor.cli(), "retention.policy", level, details=details)
