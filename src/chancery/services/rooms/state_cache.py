"""A cache of rooms' state, keyed by the room's last event.

Event IDs are hashes of the events, so "the state after event X" never changes: an entry tagged with
the room's current `last_event_id` is exactly the current state. Writers put the state after each
event they append, before their transaction commits; if it rolls back, that event never becomes the
room's last event and the entry is simply never asked for. A few versions per room are kept so that
concurrent writers in one group commit do not evict each other's entries.
"""

from __future__ import annotations

from typing import Any

from ...lru import Lru
from ...storage.database import Connection
from ...storage.events import EventStore, StateKey

StateMap = dict[StateKey, dict[str, Any]]

_VERSIONS_PER_ROOM = 4


class StateCache:
    def __init__(self, events: EventStore, max_rooms: int = 5000) -> None:
        self._events = events
        self._rooms: Lru[str, Lru[str | None, StateMap]] = Lru(max_rooms)

    async def get(self, room_id: str, last_event_id: str | None, conn: Connection | None = None) -> StateMap:
        versions = self._rooms.get(room_id)
        state = versions.get(last_event_id) if versions is not None else None
        if state is not None:
            return state
        stored = await self._events.current_state(room_id, conn)
        state = {key: s.event for key, s in stored.items()}
        self.put(room_id, last_event_id, state)
        return state

    def put(self, room_id: str, last_event_id: str | None, state: StateMap) -> None:
        versions = self._rooms.get(room_id)
        if versions is None:
            versions = Lru(_VERSIONS_PER_ROOM)
            self._rooms.put(room_id, versions)
        versions.put(last_event_id, state)
