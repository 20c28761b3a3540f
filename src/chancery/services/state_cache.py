"""A cache of rooms' state, keyed by the room's last event.

Event IDs are hashes of the events, so "the state after event X" never changes: an entry tagged with
the room's current `last_event_id` is exactly the current state. Writers put the state after each
event they append, before their transaction commits; if it rolls back, that event never becomes the
room's last event and the entry is simply never asked for. A few versions per room are kept so that
concurrent writers in one group commit do not evict each other's entries.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from ..storage.database import Connection
from ..storage.events import EventStore, StateKey

StateMap = dict[StateKey, dict[str, Any]]

_VERSIONS_PER_ROOM = 4


class StateCache:
    def __init__(self, events: EventStore, max_rooms: int = 5000) -> None:
        self._events = events
        self._max_rooms = max_rooms
        self._rooms: OrderedDict[str, OrderedDict[str | None, StateMap]] = OrderedDict()

    async def get(self, room_id: str, last_event_id: str | None, conn: Connection | None = None) -> StateMap:
        versions = self._rooms.get(room_id)
        if versions is not None and last_event_id in versions:
            self._rooms.move_to_end(room_id)
            return versions[last_event_id]
        stored = await self._events.current_state(room_id, conn)
        state = {key: s.event for key, s in stored.items()}
        self.put(room_id, last_event_id, state)
        return state

    def put(self, room_id: str, last_event_id: str | None, state: StateMap) -> None:
        versions = self._rooms.get(room_id)
        if versions is None:
            versions = self._rooms[room_id] = OrderedDict()
        versions[last_event_id] = state
        versions.move_to_end(last_event_id)
        while len(versions) > _VERSIONS_PER_ROOM:
            versions.popitem(last=False)
        self._rooms.move_to_end(room_id)
        while len(self._rooms) > self._max_rooms:
            self._rooms.popitem(last=False)

    def forget(self, room_id: str) -> None:
        self._rooms.pop(room_id, None)
