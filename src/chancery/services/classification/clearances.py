"""Clearances (set by security officers) and device accreditation (by administrators), and what follows from
them: a clearance lowered, revoked or expired takes its holder out of every room above what remains."""

from __future__ import annotations

from typing import Any

from ...clock import Clock
from ...config.classification import ClassificationConfig
from ...errors import MatrixError, invalid_param, not_found
from ...policy.classification import MAX_CAVEATS, Scheme
from ...storage import Storage
from ...storage.classification import ClearanceRow
from ...storage.database import Connection
from ...storage.stream import next_position
from ..audit import Actor, AuditLog
from ..audit.actor import acting_as, current_actor
from ..notifier import Change, Notifier, user_key
from ..periodic import Periodic
from ..rooms.events import RoomEventService
from .room_rules import ADMITTING, RoomRules, room_marking
from .scheme import clearance_json, describe


class ClearanceService:
    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        notifier: Notifier,
        room_events: RoomEventService,
        rules: RoomRules,
        config: ClassificationConfig,
        scheme: Scheme | None,
        audit: AuditLog,
    ) -> None:
        self.storage = storage
        self.audit = audit
        self.clock = clock
        self.notifier = notifier
        self.room_events = room_events
        self.rules = rules
        self.config = config
        self.scheme = scheme

    def _require_scheme(self) -> Scheme:
        if self.scheme is None:
            raise MatrixError(404, "M_NOT_FOUND", "This server has no classification scheme")
        return self.scheme

    async def _require_user(self, user_id: str) -> None:
        if not await self.storage.users.user_exists(user_id):
            raise not_found(f"No such user {user_id}")

    # -- the scheme endpoint -------------------------------------------------------------------------

    async def scheme_for(self, user_id: str) -> dict[str, Any]:
        self._require_scheme()
        return describe(self.config, await self.storage.classification.clearance(user_id))

    # -- clearances ----------------------------------------------------------------------------------

    async def get_clearance(self, user_id: str) -> dict[str, Any]:
        self._require_scheme()
        await self._require_user(user_id)
        row = await self.storage.classification.clearance(user_id)
        if row is None:
            raise not_found(f"{user_id} holds no clearance")
        return {**(clearance_json(row) or {}), "set_by": row.set_by, "set_ts": row.set_ts}

    async def set_clearance(
        self, user_id: str, level: Any, caveats: Any, expires_ts: Any, by: str
    ) -> tuple[dict[str, Any], list[str]]:
        """Set (replace) a clearance; returns it and the rooms its holder was removed from."""
        scheme = self._require_scheme()
        if not isinstance(level, str) or level not in scheme.levels:
            raise invalid_param(f"level must be one of {', '.join(scheme.levels)}")
        if caveats is None:
            caveats = []
        if not isinstance(caveats, list) or len(caveats) > MAX_CAVEATS or not all(isinstance(c, str) for c in caveats):
            raise invalid_param("caveats must be a list of strings")
        unknown = sorted(set(caveats) - scheme.caveats)
        if unknown:
            raise invalid_param(f"Unknown caveats: {', '.join(unknown)}")
        if expires_ts is not None and (
            isinstance(expires_ts, bool) or not isinstance(expires_ts, int) or not 0 < expires_ts < 2**53
        ):
            raise invalid_param("expires_ts must be a timestamp in milliseconds or null")
        await self._require_user(user_id)
        now = self.clock.now_ms()
        row = ClearanceRow(user_id, level, tuple(sorted(set(caveats))), expires_ts, by, now)
        await self._change(user_id, row)
        return {**(clearance_json(row) or {}), "set_by": by, "set_ts": now}, await self.remove_uncleared(user_id)

    async def revoke_clearance(self, user_id: str) -> list[str]:
        self._require_scheme()
        await self._require_user(user_id)
        if not await self._change(user_id, None):
            raise not_found(f"{user_id} holds no clearance")
        return await self.remove_uncleared(user_id)

    async def _change(self, user_id: str, row: ClearanceRow | None) -> bool:
        """Replace or delete the clearance, audited in the same transaction."""
        async with self.storage.db.transaction() as txn:
            if row is None:
                if not await self.storage.classification.delete_clearance(txn, user_id):
                    return False
                await self.audit.record(txn, _actor(), "clearance.revoke", user_id)
                return True
            await self.storage.classification.set_clearance(txn, row)
            details = {"level": row.level, "caveats": list(row.caveats), "expires_ts": row.expires_ts}
            await self.audit.record(txn, _actor(), "clearance.set", user_id, details=details)
            return True

    async def remove_uncleared(self, user_id: str) -> list[str]:
        """Take `user_id` out of every classified room their clearance no longer covers; the rooms they left.

        Each room in one step, decided under the room's write lock against its current state (which also
        removes anyone else in it who is no longer cleared)."""
        rooms = [
            room for membership in ADMITTING for room in await self.storage.rooms.rooms_for_user(user_id, membership)
        ]
        removed = []
        for room_id in sorted(await self.storage.classification.room_markings(rooms)):
            async with self.room_events.writing(room_id) as writer:
                marking = room_marking(writer.state)
                member = writer.state.get(("m.room.member", user_id))
                if marking is None or member is None or member["content"].get("membership") not in ADMITTING:
                    continue
                if user_id in await self.rules.remove_uncleared(writer, marking):
                    removed.append(room_id)
        return removed

    # -- device accreditation ------------------------------------------------------------------------

    async def set_accredited(self, user_id: str, device_id: str, accredited: bool, by: str) -> bool:
        """Accredit a device's current sessions (or withdraw it); True when something changed. Announced, so
        every process re-reads the device's accreditation."""
        if accredited and not await self.storage.classification.has_session(user_id, device_id):
            raise not_found("No such device, or it has no session to accredit")
        async with self.storage.db.transaction() as txn:
            if accredited:
                changed = await self.storage.classification.set_accredited(
                    txn, user_id, device_id, by, self.clock.now_ms()
                )
            else:
                changed = await self.storage.classification.remove_accreditation(txn, user_id, device_id)
            if changed:
                details = {"device_id": device_id, "accredited": accredited}
                await self.audit.record(txn, _actor(), "device.accreditation", user_id, details=details)
            pos = await next_position(txn) if changed else None
        if pos is not None:
            await self.notifier.notify(pos, [user_key(user_id, Change.ACCREDITATION)])
        return changed

    async def forget_devices(self, txn: Connection, user_id: str, device_ids: list[str]) -> int | None:
        """Device deletion hook: a deleted device's accreditation does not pass to a new one of the same ID."""
        for device_id in device_ids:
            await self.storage.classification.remove_accreditation(txn, user_id, device_id)
        return None

    # -- the expiry sweep ----------------------------------------------------------------------------

    async def sweep_expired(self) -> int:
        """Remove holders of clearances that expired from the rooms above what they now hold."""
        done = 0
        with acting_as(Actor.server("clearance_expiry")):
            for user_id in await self.storage.classification.expired_unhandled(self.clock.now_ms()):
                row = await self.storage.classification.clearance(user_id)
                if row is None or row.expires_ts is None or row.expires_ts > self.clock.now_ms():
                    continue
                removed = await self.remove_uncleared(user_id)  # idempotent: every sweeping process may
                async with self.storage.db.transaction() as txn:  # but one of them marks and audits it
                    if await self.storage.classification.mark_expiry_handled(txn, user_id, row.expires_ts):
                        details = {"expires_ts": row.expires_ts, "removed_from": removed}
                        await self.audit.record(txn, _actor(), "clearance.expire", user_id, details=details)
                        done += 1
        return done

    def background_jobs(self) -> list[Periodic]:
        """The expiry sweep, in every serving process (only one of them acts on each expiry)."""
        if self.scheme is None:
            return []
        return [Periodic("clearance-expiry", self.config.expiry_sweep_seconds, self.sweep_expired)]


def _actor() -> Actor:
    """Whoever's request (or command) is being handled: the CLI when no request is."""
    return current_actor() or Actor.cli()
