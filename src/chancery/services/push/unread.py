"""Unread notification and highlight counts for /sync, counted incrementally.

A user who never reads a busy room would otherwise make every /sync recount everything since their
read receipt. Counts are kept per (room, user) with the read position and the stream position they
were counted up to; the next /sync counts only the new window and adds it. A new read receipt, a
redaction in the window (it may un-count an earlier event) or a cache miss means a full recount.
Per process and bounded; any process can rebuild an entry from the database. Where this process holds
every event of a window (services/rooms/recent_events.py) it counts them in memory, and where it knows that no
receipt of the user moved since an entry was counted it reuses the entry's read position.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ...events.notifications import ROOM_MENTION
from ...lru import Lru
from ...storage import Storage
from ..rooms.recent_events import CachedEvent, RecentEvents

COUNT_CAP = 1000
_MAX_ENTRIES = 100_000


@dataclass(frozen=True)
class _Counted:
    read_pos: int
    upto: int
    notifications: int
    highlights: int


# (room, position): True when the user's read receipts there are known not to have moved since
ReadUnchanged = Callable[[str, int], bool]


class UnreadCounter:
    def __init__(self, storage: Storage, recent_events: RecentEvents | None = None) -> None:
        self.storage = storage
        self.recent_events = recent_events
        self._counted: Lru[tuple[str, str], _Counted] = Lru(_MAX_ENTRIES)

    async def counts(
        self, room_ids: list[str], user_id: str, upto: int, read_unchanged: ReadUnchanged | None = None
    ) -> dict[str, tuple[int, int]]:
        """room -> (notification_count, highlight_count) as of stream position `upto`."""
        read = await self._read_positions(room_ids, user_id, upto, read_unchanged)
        cached: dict[str, _Counted] = {}
        for room_id in room_ids:
            entry = self._counted.get((room_id, user_id))
            if entry is not None and entry.read_pos == read.get(room_id, 0) and entry.upto <= upto:
                cached[room_id] = entry
        windows = [(r, cached[r].upto if r in cached else read.get(r, 0)) for r in room_ids]
        found = await self._counts_between(windows, user_id, upto)
        recount = [r for r in cached if found.get(r, (0, 0, 0))[2] > 0]
        if recount:
            again = await self.storage.events.unread_counts_between(
                [(r, read.get(r, 0)) for r in recount], user_id, upto, COUNT_CAP
            )
            found.update(again)
            for room_id in recount:
                del cached[room_id]
        result: dict[str, tuple[int, int]] = {}
        for room_id in room_ids:
            notifications, highlights, _ = found.get(room_id, (0, 0, 0))
            if room_id in cached:
                notifications += cached[room_id].notifications
                highlights += cached[room_id].highlights
            notifications, highlights = min(notifications, COUNT_CAP), min(highlights, COUNT_CAP)
            self._counted.put((room_id, user_id), _Counted(read.get(room_id, 0), upto, notifications, highlights))
            result[room_id] = (notifications, highlights)
        return result

    async def _read_positions(
        self, room_ids: list[str], user_id: str, upto: int, read_unchanged: ReadUnchanged | None
    ) -> dict[str, int]:
        known: dict[str, int] = {}
        if read_unchanged is not None:
            for room_id in room_ids:
                entry = self._counted.get((room_id, user_id))
                if entry is not None and entry.upto <= upto and read_unchanged(room_id, entry.upto):
                    known[room_id] = entry.read_pos
        ask = [room_id for room_id in room_ids if room_id not in known]
        if ask:
            known |= await self.storage.ephemeral.read_receipt_positions(ask, user_id)
        return {room_id: pos for room_id, pos in known.items() if pos}

    async def _counts_between(
        self, windows: list[tuple[str, int]], user_id: str, upto: int
    ) -> dict[str, tuple[int, int, int]]:
        """room -> (notifications, highlights, redactions) in each window (lo, upto]; see
        EventStore.unread_counts_between, which answers for the windows not held in memory."""
        found: dict[str, tuple[int, int, int]] = {}
        ask: list[tuple[str, int]] = []
        for room_id, after in windows:
            held = self.recent_events.window(room_id, after, upto, COUNT_CAP * 4) if self.recent_events else None
            if held is None or len(held) == COUNT_CAP * 4:
                ask.append((room_id, after))
            else:
                found[room_id] = _count_held(held, user_id)
        if ask:
            found |= await self.storage.events.unread_counts_between(ask, user_id, upto, COUNT_CAP)
        return found


def _count_held(events: list[CachedEvent], user_id: str) -> tuple[int, int, int]:
    """What unread_counts_between counts, for events held in memory (none of them redacted)."""
    notifying = mentions = quiet_mentions = redactions = 0
    for cached in events:
        event = cached.stored.event
        if event["type"] == "m.room.redaction":
            redactions += 1
        if event["sender"] == user_id or cached.stored.redacted:
            continue
        notification = cached.notification
        notifying += notification.notifies
        if user_id in notification.mentions or ROOM_MENTION in notification.mentions:
            mentions += 1
            quiet_mentions += not notification.notifies
    return min(notifying, COUNT_CAP) + quiet_mentions, mentions, redactions
