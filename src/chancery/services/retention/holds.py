"""Legal hold: an administrator places a room or a person under hold; nothing held is purged meanwhile.

A room under hold keeps all its events and their media. A person under hold keeps every event they sent
(in any room) and every media item they uploaded.
"""

from __future__ import annotations

from typing import Any, Literal

from ...clock import Clock
from ...errors import not_found
from ...storage import Storage
from ..audit import Actor, AuditLog
from ..audit.actor import current_actor

HoldKind = Literal["room", "user"]


class LegalHoldService:
    def __init__(self, storage: Storage, clock: Clock, audit: AuditLog) -> None:
        self.storage = storage
        self.clock = clock
        self.audit = audit

    async def _require_target(self, kind: HoldKind, target: str) -> None:
        if kind == "room":
            exists = await self.storage.rooms.get_room(target) is not None
        else:
            exists = await self.storage.users.user_exists(target)
        if not exists:
            raise not_found(f"No such {kind}")

    async def place(self, kind: HoldKind, target: str, by: str, reason: str | None) -> bool:
        """Place the hold; False when it was already in place (placing it again changes nothing)."""
        await self._require_target(kind, target)
        async with self.storage.db.transaction() as txn:
            placed = await self.storage.retention.place_hold(txn, kind, target, by, reason, self.clock.now_ms())
            if placed:
                details = {"kind": kind, "reason": reason}
                await self.audit.record(txn, current_actor() or Actor.cli(), "legal_hold.set", target, details=details)
            return placed

    async def lift(self, kind: HoldKind, target: str) -> None:
        async with self.storage.db.transaction() as txn:
            if not await self.storage.retention.lift_hold(txn, kind, target):
                raise not_found(f"This {kind} is not under legal hold")
            actor = current_actor() or Actor.cli()
            await self.audit.record(txn, actor, "legal_hold.lift", target, details={"kind": kind})

    async def list_holds(self) -> list[dict[str, Any]]:
        return [
            {"kind": kind, "target": target, "placed_by": by, "reason": reason, "placed_ts": ts}
            for kind, target, by, reason, ts in await self.storage.retention.holds()
        ]
