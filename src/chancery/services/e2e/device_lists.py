"""Device-list tracking: who must re-query whose keys (client-server API: tracking the device list).

A user appears in your `device_lists.changed` when they share a room with you and add, remove or change a
device or cross-signing key, or when you newly share a room with them; in `left` when you no longer
share any room. The same computation answers GET /keys/changes.
"""

from __future__ import annotations

from typing import Any

from ...storage import Storage
from ...storage.database import Connection
from ...storage.e2e import EVERYONE
from ..notifier import Change, Notifier, room_key, user_key
from ..sync.service import SyncRequest


class DeviceListService:
    def __init__(self, storage: Storage, notifier: Notifier) -> None:
        self.storage = storage
        self.notifier = notifier

    async def record_change(self, txn: Connection, user_ids: list[str], observer: str = EVERYONE) -> int:
        """Note inside a write transaction that these users' keys changed; returns the stream position."""
        return await self.storage.device_lists.add_change(txn, user_ids, observer)

    async def announce(self, pos: int, user_ids: list[str], observer: str = EVERYONE) -> None:
        """After commit: wake the syncs of everyone who may see the change."""
        if observer != EVERYONE:
            await self.notifier.notify(pos, [user_key(observer, Change.DEVICES)])
            return
        keys = set()
        for user_id in user_ids:
            keys.add(user_key(user_id, Change.DEVICES))
            keys |= {room_key(r, Change.DEVICES) for r in await self.storage.rooms.rooms_for_user(user_id)}
        await self.notifier.notify(pos, keys)

    async def changes(
        self,
        user_id: str,
        after: int,
        upto: int,
        sharing: set[str] | None = None,
        memberships: dict[str, tuple[str, int, str]] | None = None,
    ) -> tuple[list[str], list[str]]:
        """(changed, left) for `user_id` over the stream window (after, upto]; pass what is already known:
        `sharing` (users sharing a room now) and `memberships` (the user's memberships as of `upto`)."""
        if sharing is None:
            sharing = await self.storage.rooms.users_sharing_rooms(user_id)
        if memberships is None:
            memberships = await self.storage.rooms.memberships_at(user_id, upto)
        public, private = await self.storage.device_lists.changes_between(user_id, after, upto)
        changed = {u for u in public if u in sharing or u == user_id} | private
        newly_sharing, maybe_left = await self._membership_moves(user_id, after, upto, memberships)
        changed |= newly_sharing & sharing
        left = {u for u in maybe_left if u not in sharing and u != user_id}
        changed -= left
        return sorted(changed), sorted(left)

    async def _membership_moves(
        self, user_id: str, after: int, upto: int, memberships: dict[str, tuple[str, int, str]]
    ) -> tuple[set[str], set[str]]:
        """Users who joined a room with us, and users who may have stopped sharing one, in the window."""
        involved = [room for room, (m, pos, _) in memberships.items() if m == "join" or pos > after]
        joined: set[str] = set()
        departed: set[str] = set()
        for room_id, member, membership in await self.storage.device_lists.membership_changes_in(involved, after, upto):
            if member == user_id:
                # We joined (everyone there is new to us) or left (everyone there may be gone from us).
                members = set(await self.storage.rooms.members(room_id))
                (joined if membership == "join" else departed).update(members)
            elif membership == "join":
                joined.add(member)
            elif membership in ("leave", "ban"):
                departed.add(member)
        joined.discard(user_id)
        return joined, departed

    async def sync_extension(self, request: SyncRequest, body: dict[str, Any]) -> bool:
        """/sync `device_lists`, on incremental syncs only (the spec leaves initial syncs to /keys/query)."""
        if request.since is None:
            return False
        if await self._nothing_moved(request):
            body["device_lists"] = {"changed": [], "left": []}
            return False
        changed, left = await self.changes(
            request.requester.user_id,
            request.since,
            request.upto,
            await request.users_sharing_rooms(self.storage.rooms),
            await request.memberships(self.storage.rooms),
        )
        body["device_lists"] = {"changed": changed, "left": left}
        return bool(changed or left)

    async def _nothing_moved(self, request: SyncRequest) -> bool:
        """Known without the database: no device-list change of anyone we share a room with, of ours, or
        addressed to us, and no membership change in our rooms, since the request's token."""
        if not request.own_unchanged(Change.DEVICES, Change.MEMBERSHIP):
            return False
        memberships = await request.memberships(self.storage.rooms)
        since = request.since or 0
        rooms = [r for r, (m, pos, _) in memberships.items() if m == "join" or pos > since]
        return request.unchanged([room_key(r, c) for r in rooms for c in (Change.DEVICES, Change.MEMBERSHIP)])

    async def on_devices_changed(self, txn: Connection, user_id: str, device_ids: list[str]) -> int:
        """Device deletion or rename hook: the owner's device list changed (announced by `after_devices_changed`)."""
        return await self.record_change(txn, [user_id])

    async def after_devices_changed(self, user_id: str, device_ids: list[str], positions: list[int]) -> None:
        for pos in positions:
            await self.announce(pos, [user_id])
