"""A cache of each room's current state, valid while the room's last event is unchanged.

Every event a room gets moves `rooms.last_event_id`, so a cached entry tagged with that ID is exactly
the current state; a stale entry (another process wrote to the room) is simply reloaded.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from ..storage.database import Connection
from ..storage.events import EventStore, StateKey

StateMap = dict[StateKey, dict[str, Any]]


class StateCache:
    def __init__(self, events: EventStore, max_rooms: int = 5000) -> None:
        self._events = events
        self._max_rooms = max_rooms
        self._entries: OrderedDict[str, tuple[str | None, StateMap]] = OrderedDict()

    async def get(self, room_id: str, last_event_id: str | None, conn: Connection | None = None) -> StateMap:
        entry = self._entries.get(room_id)
        if entry is not None and entry[0] == last_event_id:
            self._entries.move_to_end(room_id)
            return entry[1]
        stored = await self._events.current_state(room_id, conn)
        state = {key: s.event for key, s in stored.items()}
        self.put(room_id, last_event_id, state)
        return state

    def put(self, room_id: str, last_event_id: str | None, state: StateMap) -> None:
        self._entries[room_id] = (last_event_id, state)
        self._entries.move_to_end(room_id)
        while len(self._entries) > self._max_rooms:
            self._entries.popitem(last=False)

    def forget(self, room_id: str) -> None:
        self._entries.pop(room_id, None)
