"""When each device was last used, and deleting devices unused for [devices] stale_after_days.

A request only notes its device in memory (a dict write); the notes are written in one transaction a
minute, so the request path takes no database work for this. Last use is therefore known to the minute.
"""

from __future__ import annotations

from itertools import groupby

from ...clock import Clock
from ...config.devices import DeviceConfig
from ...storage import Storage
from ..accounts.service import AccountService

DAY_MS = 24 * 3600 * 1000
FLUSH_INTERVAL_S = 60.0
STALE_CHECK_INTERVAL_S = 3600.0
_BATCH = 100


class DeviceActivity:
    def __init__(self, storage: Storage, clock: Clock, accounts: AccountService, config: DeviceConfig) -> None:
        self.storage = storage
        self.clock = clock
        self.accounts = accounts
        self.config = config
        self._seen: dict[tuple[str, str], str | None] = {}  # (user, device) -> the address it was seen from

    def seen(self, user_id: str, device_id: str, ip: str | None) -> None:
        self._seen[(user_id, device_id)] = ip

    async def flush(self) -> None:
        if not self._seen:
            return
        seen, self._seen = self._seen, {}
        now = self.clock.now_ms()
        await self.storage.devices.record_last_seen([(now, ip, u, d) for (u, d), ip in sorted(seen.items())])

    async def purge_stale(self, days: int | None = None) -> int:
        """Delete devices neither used nor created in the last `days` (default: the configured number); how
        many. Each person's stale devices go like a sign-out: tokens, keys and queues with them."""
        days = self.config.stale_after_days if days is None else days
        if days <= 0:
            return 0
        await self.flush()
        cutoff = self.clock.now_ms() - days * DAY_MS
        deleted = 0
        while batch := await self.storage.devices.stale_devices(cutoff, _BATCH):
            for user_id, rows in groupby(batch, key=lambda row: row[0]):
                devices = [device_id for _, device_id in rows]
                await self.accounts.delete_devices(user_id, devices)
                deleted += len(devices)
        return deleted
