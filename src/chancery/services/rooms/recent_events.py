"""The latest events of recently active rooms, kept as this process wrote them, so that an incremental /sync
reads new events, their unread counts and their transaction IDs from memory instead of the database.

A room's entry holds its newest events in stream order and a position `complete_after`: every event of
the room after it, up to what the notifier has announced, is in the entry. Events this process writes are
added before they are announced. An announced event of the room that the entry lacks (written by another
process, or by a path that did not add it) raises `complete_after` past it, and so does a floor raised by
the stream watch; a redaction drops what came before it (a cached copy would be stale). The entry then
answers only for later windows; anything it cannot answer, the caller asks the database.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from ...events.notifications import Notification
from ...storage.events import StoredEvent
from ..notifier import Change, Notifier, room_key

EVENT_SUFFIX = f"|{Change.EVENT}"


@dataclass(frozen=True)
class CachedEvent:
    stored: StoredEvent
    notification: Notification
    txn: tuple[str, str, str] | None  # (user, device, transaction ID) it was sent with


@dataclass
class _RoomEntry:
    complete_after: int
    events: list[CachedEvent] = field(default_factory=list)  # ascending positions
    positions: set[int] = field(default_factory=set)


class RecentEvents:
    def __init__(self, notifier: Notifier, *, per_room: int = 32, max_rooms: int = 1000) -> None:
        self.notifier = notifier
        self.per_room = per_room
        self.max_rooms = max_rooms
        self._rooms: OrderedDict[str, _RoomEntry] = OrderedDict()
        self._by_id: dict[str, CachedEvent] = {}
        notifier.add_listener(self._on_announcement, self._on_skip)

    # -- writing ------------------------------------------------------------------------------------

    def add(self, room_id: str, written: list[tuple[StoredEvent, tuple[str, str, str] | None, Notification]]) -> None:
        """Events this process committed to the room (in position order) with their transaction IDs and the
        notification class they were stored with, before they are announced."""
        if not written or not self.notifier.tracking:
            return
        entry = self._rooms.get(room_id)
        if entry is None:
            # Nothing before these events is held; an event of the room announced meanwhile is not held either.
            announced = self.notifier.latest(room_key(room_id, Change.EVENT))
            entry = self._rooms[room_id] = _RoomEntry(max(written[0][0].pos - 1, announced))
        self._rooms.move_to_end(room_id)
        for stored, txn, notification in written:
            if stored.event["type"] == "m.room.redaction":
                self._drop_upto(entry, stored.pos)
            cached = CachedEvent(stored, notification, txn)
            if entry.events and entry.events[-1].stored.pos > stored.pos:
                entry.events.append(cached)
                entry.events.sort(key=lambda c: c.stored.pos)
            else:
                entry.events.append(cached)
            entry.positions.add(stored.pos)
            self._by_id[stored.event_id] = cached
        excess = len(entry.events) - self.per_room
        if excess > 0:
            dropped = entry.events[:excess]
            del entry.events[:excess]
            entry.complete_after = max(entry.complete_after, dropped[-1].stored.pos)
            entry.positions.difference_update(c.stored.pos for c in dropped)
            self._forget(dropped)
        while len(self._rooms) > self.max_rooms:
            _, evicted = self._rooms.popitem(last=False)
            self._forget(evicted.events)

    def _drop_upto(self, entry: _RoomEntry, pos: int) -> None:
        entry.complete_after = max(entry.complete_after, pos)
        dropped = [c for c in entry.events if c.stored.pos <= pos]
        if dropped:
            entry.events = [c for c in entry.events if c.stored.pos > pos]
            entry.positions.difference_update(c.stored.pos for c in dropped)
            self._forget(dropped)

    def _forget(self, events: list[CachedEvent]) -> None:
        for cached in events:
            self._by_id.pop(cached.stored.event_id, None)

    def _on_announcement(self, pos: int, keys: list[str]) -> None:
        for key in keys:
            if key.endswith(EVENT_SUFFIX):
                entry = self._rooms.get(key[len("room:") : -len(EVENT_SUFFIX)])
                if entry is not None and pos not in entry.positions:
                    self._drop_upto(entry, pos)

    def _on_skip(self, committed: int) -> None:
        for entry in self._rooms.values():
            self._drop_upto(entry, committed)

    # -- reading ------------------------------------------------------------------------------------

    def window(self, room_id: str, after: int, upto: int, count: int) -> list[CachedEvent] | None:
        """The room's events with after < position <= upto, newest first, at most `count`; None when they
        are not all held. `upto` must not exceed the notifier's complete_upto."""
        entry = self._rooms.get(room_id)
        if entry is None or entry.complete_after > after or upto > self.notifier.complete_upto:
            return None
        found: list[CachedEvent] = []
        for cached in reversed(entry.events):
            pos = cached.stored.pos
            if pos <= after or len(found) == count:
                break
            if pos <= upto:
                found.append(cached)
        return found

    def transaction_ids(self, event_ids: list[str]) -> dict[str, tuple[str, str, str] | None]:
        """For the events held here: the (user, device, transaction ID) each was sent with, or None."""
        return {event_id: self._by_id[event_id].txn for event_id in event_ids if event_id in self._by_id}
