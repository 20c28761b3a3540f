"""The user's rooms as sliding sync lists them: which rooms, in which order, and what each list matches.

A room is listed when the user is joined, invited or knocking, was kicked or banned after having joined, or
left it themselves and this connection already sent it (the MSC's rules). Rooms are ordered by bump_stamp:
the position of the room's latest message, encrypted event, sticker, call invite, poll start, beacon or
create event; for a room the user is not joined to, the position of their membership event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...events.sliding_sync import ListConfig, ListFilters
from ...lru import Lru
from ...storage import Storage
from ...storage.sliding_sync import direct_rooms, room_activity, room_tags
from ..notifier import Change, Notifier, room_key, user_key
from ..sync.request import Memberships

BUMP_TYPES = (
    "m.room.create",
    "m.room.message",
    "m.room.encrypted",
    "m.sticker",
    "m.call.invite",
    "m.poll.start",
    "org.matrix.msc3381.poll.start",
    "m.beacon_info",
    "org.matrix.msc3672.beacon_info",
)
_MAX_ROOMS_REMEMBERED = 100_000
_MAX_USERS_REMEMBERED = 20_000


@dataclass(frozen=True)
class ListedRoom:
    room_id: str
    membership: str
    membership_pos: int
    bump_stamp: int
    latest_pos: int  # the latest event the user may see of the room (for a joined room, the room's latest)
    listed: bool = True  # False: left by the user themselves, reachable only through a room subscription


@dataclass(frozen=True)
class _Activity:
    as_of: int
    latest: int
    bump: int


class RoomLister:
    def __init__(self, storage: Storage, notifier: Notifier) -> None:
        self.storage = storage
        self.notifier = notifier
        self._activity: Lru[str, _Activity] = Lru(_MAX_ROOMS_REMEMBERED)
        self._room_types: Lru[str, tuple[str | None]] = Lru(_MAX_ROOMS_REMEMBERED)  # a room's type never changes
        self._encrypted: Lru[str, bool] = Lru(_MAX_ROOMS_REMEMBERED)  # True only: encryption stays on
        self._kicked: Lru[str, bool] = Lru(_MAX_ROOMS_REMEMBERED)  # leave event ID -> by someone else
        self._joined_rooms: Lru[str, tuple[int, set[str]]] = Lru(_MAX_USERS_REMEMBERED)  # user -> (as of, rooms)

    async def rooms(self, user_id: str, memberships: Memberships, sent: set[str], upto: int) -> list[ListedRoom]:
        """The rooms the user may see, most recently active first; those not `listed` only by subscription."""
        candidates = {r: m for r, m in memberships.items() if m[0] in ("join", "invite", "knock")}
        departed = {r: m for r, m in memberships.items() if m[0] in ("leave", "ban")}
        unlisted: set[str] = set()
        if departed:
            forgotten = await self.storage.rooms.forgotten_rooms(user_id)
            departed = {r: m for r, m in departed.items() if r not in forgotten}
        if departed:
            ever_joined = await self._ever_joined(user_id, upto)
            kicked = await self._kicked_out(user_id, {r: m[2] for r, m in departed.items() if r not in sent})
            for room_id, left in departed.items():
                if room_id in ever_joined:
                    candidates[room_id] = left
                    if room_id not in sent and room_id not in kicked:
                        unlisted.add(room_id)
        joined = [r for r, m in candidates.items() if m[0] == "join"]
        activity = await self._room_activity(joined, upto)
        listed = []
        for room_id, (membership, pos, _event_id) in candidates.items():
            if membership == "join":
                latest, bump = activity.get(room_id, (pos, pos))
                listed.append(ListedRoom(room_id, membership, pos, bump or pos, max(latest, pos)))
            else:
                listed.append(ListedRoom(room_id, membership, pos, pos, pos, room_id not in unlisted))
        listed.sort(key=lambda r: (-r.bump_stamp, r.room_id))
        return listed

    async def _ever_joined(self, user_id: str, upto: int) -> set[str]:
        """The rooms the user has been joined to at some point (reused while their memberships do not change)."""
        known = self._joined_rooms.get(user_id)
        if (
            known is not None
            and known[0] <= upto
            and self.notifier.unchanged([user_key(user_id, Change.MEMBERSHIP)], known[0], upto)
        ):
            return known[1]
        histories = await self.storage.rooms.membership_histories(user_id)
        rooms = {room_id for room_id, history in histories.items() if any(m == "join" for _, m in history)}
        if self.notifier.tracking:
            self._joined_rooms.put(user_id, (upto, rooms))
        return rooms

    async def _kicked_out(self, user_id: str, leave_events: dict[str, str]) -> set[str]:
        """The rooms whose leave or ban event someone else sent."""
        unknown = [e for e in leave_events.values() if self._kicked.get(e) is None]
        if unknown:
            for event_id, stored in (await self.storage.events.get_events(unknown)).items():
                self._kicked.put(event_id, stored.event["sender"] != user_id)
        return {r for r, e in leave_events.items() if self._kicked.get(e)}

    async def _room_activity(self, room_ids: list[str], upto: int) -> dict[str, tuple[int, int]]:
        found: dict[str, tuple[int, int]] = {}
        stale = []
        for room_id in room_ids:
            known = self._activity.get(room_id)
            if (
                known is not None
                and known.as_of <= upto
                and self.notifier.unchanged([room_key(room_id, Change.EVENT)], known.as_of, upto)
            ):
                found[room_id] = (known.latest, known.bump)
            else:
                stale.append(room_id)
        if stale:
            loaded = await room_activity(self.storage.db, stale, BUMP_TYPES, upto)
            for room_id, (latest, bump) in loaded.items():
                found[room_id] = (latest, bump)
                if self.notifier.tracking:
                    self._activity.put(room_id, _Activity(upto, latest, bump))
        return found

    # -- lists ----------------------------------------------------------------------------------------

    async def filter(self, user_id: str, rooms: list[ListedRoom], filters: ListFilters) -> list[ListedRoom]:
        """The rooms that pass a list's filters, in the same order."""
        if filters.is_invite is not None:
            rooms = [r for r in rooms if (r.membership == "invite") == filters.is_invite]
        if filters.is_dm is not None:
            direct, _ = await direct_rooms(self.storage.db, user_id)
            rooms = [r for r in rooms if (r.room_id in direct) == filters.is_dm]
        if filters.spaces is not None:
            children = await self._space_children(user_id, filters.spaces)
            rooms = [r for r in rooms if r.room_id in children]
        if filters.room_types is not None or filters.not_room_types:
            types = await self._types(rooms)
            if filters.room_types is not None:
                rooms = [r for r in rooms if types.get(r.room_id) in filters.room_types]
            rooms = [r for r in rooms if types.get(r.room_id) not in filters.not_room_types]
        if filters.tags is not None or filters.not_tags:
            tags = await room_tags(self.storage.db, user_id)
            if filters.tags is not None:
                rooms = [r for r in rooms if tags.get(r.room_id, set()) & set(filters.tags)]
            rooms = [r for r in rooms if not tags.get(r.room_id, set()) & set(filters.not_tags)]
        if filters.is_encrypted is not None:
            encrypted = await self._encrypted_rooms(rooms)
            rooms = [r for r in rooms if (r.room_id in encrypted) == filters.is_encrypted]
        return rooms

    async def _space_children(self, user_id: str, spaces: tuple[str, ...]) -> set[str]:
        """The rooms named by m.space.child in those of `spaces` the user is joined to (no sub-spaces)."""
        joined = set(await self.storage.rooms.rooms_for_user(user_id))
        wanted = [s for s in spaces if s in joined]
        if not wanted:
            return set()
        states = await self.storage.events.current_state_of_rooms(wanted)
        return {
            key[1]
            for state in states.values()
            for key, stored in state.items()
            if key[0] == "m.space.child" and isinstance(stored.event["content"].get("via"), list)
        }

    async def _types(self, rooms: list[ListedRoom]) -> dict[str, str | None]:
        unknown = [r.room_id for r in rooms if self._room_types.get(r.room_id) is None]
        if unknown:
            ids = await self.storage.events.current_state_ids_of_rooms(unknown)
            create = ("m.room.create", "")
            create_ids = {room_id: s[create][0] for room_id, s in ids.items() if create in s}
            events = await self.storage.events.get_events(create_ids.values())
            for room_id, event_id in create_ids.items():
                room_type: Any = events[event_id].event["content"].get("type") if event_id in events else None
                self._room_types.put(room_id, (room_type if isinstance(room_type, str) else None,))
        return {r.room_id: (self._room_types.get(r.room_id) or (None,))[0] for r in rooms}

    async def _encrypted_rooms(self, rooms: list[ListedRoom]) -> set[str]:
        unknown = [r.room_id for r in rooms if not self._encrypted.get(r.room_id)]
        if unknown:
            ids = await self.storage.events.current_state_ids_of_rooms(unknown)
            for room_id, state in ids.items():
                if ("m.room.encryption", "") in state:
                    self._encrypted.put(room_id, True)
        return {r.room_id for r in rooms if self._encrypted.get(r.room_id)}


def in_range(listed: list[ListedRoom], config: ListConfig) -> list[ListedRoom]:
    """The rooms of a filtered list (of `listed` rooms only) that the list's ranges cover."""
    if config.ranges is None:
        return listed
    return [room for index, room in enumerate(listed) if config.covers(index)]
