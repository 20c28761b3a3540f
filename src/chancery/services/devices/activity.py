"""When each device was last used, and deleting devices unused for [devices] stale_after_days.

A request only notes its device in memory (a dict write), and so does a /sync response how far it reached
(a delivery record for spillage reports); the notes are written in one transaction every two seconds, so the
request path takes no database work for this.
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

from ...clock import Clock
from ...config.devices import DeviceConfig
from ...storage import Storage
from ..accounts.service import AccountService
from ..audit import Actor
from ..audit.actor import current_actor
from ..sync.request import SyncRequest

DAY_MS = 24 * 3600 * 1000
FLUSH_INTERVAL_S = 2.0
STALE_CHECK_INTERVAL_S = 3600.0
_BATCH = 100


class DeviceActivity:
    def __init__(self, storage: Storage, clock: Clock, accounts: AccountService, config: DeviceConfig) -> None:
        self.storage = storage
        self.clock = clock
        self.accounts = accounts
        self.config = config
        self._seen: dict[tuple[str, str], str | None] = {}  # (user, device) -> the address it was seen from
        # (user, device) -> the highest stream position a /sync response sent it (delivery records, spillage)
        self._synced: dict[tuple[str, str], int] = {}

    def seen(self, user_id: str, device_id: str, ip: str | None) -> None:
        self._seen[(user_id, device_id)] = ip

    async def note_sync(self, request: SyncRequest, body: dict[str, Any]) -> bool:
        """/sync extension adding nothing: notes how far the device's responses reach."""
        device = (request.requester.user_id, request.requester.device_id)
        if self._synced.get(device, -1) < request.upto:
            self._synced[device] = request.upto
        return False

    async def flush(self) -> None:
        if self._seen:
            seen, self._seen = self._seen, {}
            now = self.clock.now_ms()
            await self.storage.devices.record_last_seen([(now, ip, u, d) for (u, d), ip in sorted(seen.items())])
        if self._synced:
            synced, self._synced = self._synced, {}
            await self.storage.retention.record_sync_marks([(u, d, pos) for (u, d), pos in sorted(synced.items())])

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
                await self.accounts.delete_devices(
                    user_id,
                    devices,
                    actor=current_actor() or Actor.server("stale_devices"),
                    details={"stale_days": days},
                )
                deleted += len(devices)
        return deleted
