"""Administrator approval of new devices ([devices] require_approval)."""

from __future__ import annotations

from typing import Any

from ...errors import not_found
from ...storage import Storage
from ..accounts.auth import AuthService
from ..audit import Actor, AuditLog
from ..audit.actor import current_actor


class ApprovalService:
    def __init__(self, storage: Storage, auth: AuthService, audit: AuditLog) -> None:
        self.storage = storage
        self.auth = auth
        self.audit = audit

    async def awaiting(self, limit: int = 1000) -> list[dict[str, Any]]:
        return [
            {"user_id": u, "device_id": d, "display_name": name, "created_ts": ts}
            for u, d, name, ts in await self.storage.devices.awaiting_approval(limit)
        ]

    async def approve(self, user_id: str, device_id: str) -> None:
        async with self.storage.db.transaction() as txn:
            if not await self.storage.devices.set_approved(txn, user_id, device_id, True):
                raise not_found("No such device")
            actor = current_actor() or Actor.cli()
            await self.audit.record(txn, actor, "device.approve", user_id, details={"device_id": device_id})
            # Cached requesters carry the device's standing: have every process look its tokens up again.
            revoked = await self.auth.revoke_in(txn)
        await self.auth.announce_revoked(revoked, user_id)
