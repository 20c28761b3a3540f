"""What a device may read: rooms above [classification] accredited_devices_above only on accredited devices,
and files of classified rooms only by people cleared for them (on an accredited device where needed).

A device's accreditation is cached in each process until an accreditation change for its user is announced;
accredited devices, and servers that require no accreditation, then pay nothing per /sync or read.
"""

from __future__ import annotations

from ...clock import Clock
from ...errors import not_found
from ...lru import Lru
from ...policy.classification import Scheme, may_hold, may_read_on_device
from ...policy.decision import first_denial
from ...storage import Storage
from ..accounts.requester import Requester
from ..notifier import Change, Notifier, user_key
from .scheme import clearance_of, marking_from_row

_MAX_DEVICES_REMEMBERED = 100_000


class ReadGate:
    def __init__(self, storage: Storage, notifier: Notifier, scheme: Scheme, clock: Clock) -> None:
        self.storage = storage
        self.notifier = notifier
        self.scheme = scheme
        self.clock = clock
        # token hash -> (accredited, stream position it was read at)
        self._accredited: Lru[str, tuple[bool, int]] = Lru(_MAX_DEVICES_REMEMBERED)

    @property
    def devices_need_accreditation(self) -> bool:
        return self.scheme.accredited_devices_above is not None

    async def is_accredited(self, requester: Requester) -> bool:
        key = requester.token_hash
        notifier = self.notifier
        cached = self._accredited.get(key)
        changes = [user_key(requester.user_id, Change.ACCREDITATION)]
        if cached is not None and notifier.unchanged(changes, cached[1], notifier.complete_upto):
            return cached[0]
        as_of = notifier.complete_upto
        accredited = await self.storage.classification.is_accredited(
            requester.user_id, requester.device_id, requester.token_hash
        )
        if notifier.tracking:
            self._accredited.put(key, (accredited, as_of))
        return accredited

    async def hidden_rooms(self, requester: Requester, room_ids: list[str]) -> frozenset[str]:
        """Of `room_ids`, those this device may not read (sync leaves them out)."""
        if not self.devices_need_accreditation or not room_ids or await self.is_accredited(requester):
            return frozenset()
        markings = await self.storage.classification.room_markings(room_ids)
        return frozenset(
            room_id
            for room_id, row in markings.items()
            if not may_read_on_device(self.scheme, marking_from_row(row), False).allowed
        )

    async def check_room(self, requester: Requester, room_id: str) -> None:
        """Before any of a room's events or state is served to a device."""
        if not self.devices_need_accreditation or await self.is_accredited(requester):
            return
        row = (await self.storage.classification.room_markings([room_id])).get(room_id)
        if row is not None:
            decision = may_read_on_device(self.scheme, marking_from_row(row), False)
            if not decision.allowed:
                raise decision.as_denial("room.read", room_id, {"device_id": requester.device_id})

    async def check_media(self, requester: Requester | None, media_id: str) -> None:
        """A file inherited the markings of the classified rooms it was posted in: only people cleared for
        all of them, on a device accredited where a marking needs it, may download it."""
        rows = await self.storage.classification.media_markings([media_id])
        if not rows:
            return
        if requester is None:
            raise not_found("Media not found")  # the unauthenticated legacy endpoints serve no classified file
        clearance = clearance_of(await self.storage.classification.clearance(requester.user_id))
        markings = [marking_from_row(row) for row in rows]
        now = self.clock.now_ms()
        decisions = [may_hold(self.scheme, clearance, marking, now) for marking in markings]
        if any(self.scheme.needs_accreditation(m) for m in markings) and not await self.is_accredited(requester):
            decisions += [may_read_on_device(self.scheme, m, False) for m in markings]
        denial = first_denial(*decisions)
        if not denial.allowed:
            details = {"media_id": media_id, "device_id": requester.device_id}
            raise denial.as_denial("media.download", media_id, details)
