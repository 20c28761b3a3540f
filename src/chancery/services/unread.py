"""Unread notification and highlight counts for /sync, counted incrementally.

A user who never reads a busy room would otherwise make every /sync recount everything since their
read receipt. Counts are kept per (room, user) with the read position and the stream position they
were counted up to; the next /sync counts only the new window and adds it. A new read receipt, a
redaction in the window (it may un-count an earlier event) or a cache miss means a full recount.
Per process and bounded; any process can rebuild an entry from the database.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from ..storage import Storage

COUNT_CAP = 1000
_MAX_ENTRIES = 100_000


@dataclass(frozen=True)
class _Counted:
    read_pos: int
    upto: int
    notifications: int
    highlights: int


class UnreadCounter:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._counted: OrderedDict[tuple[str, str], _Counted] = OrderedDict()

    async def counts(self, room_ids: list[str], user_id: str, upto: int) -> dict[str, tuple[int, int]]:
        """room -> (notification_count, highlight_count) as of stream position `upto`."""
        read = await self.storage.ephemeral.read_receipt_positions(room_ids, user_id)
        cached: dict[str, _Counted] = {}
        for room_id in room_ids:
            entry = self._counted.get((room_id, user_id))
            if entry is not None and entry.read_pos == read.get(room_id, 0) and entry.upto <= upto:
                cached[room_id] = entry
        windows = [(r, cached[r].upto if r in cached else read.get(r, 0)) for r in room_ids]
        found = await self.storage.events.unread_counts_between(windows, user_id, upto, COUNT_CAP)
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
            self._remember(room_id, user_id, _Counted(read.get(room_id, 0), upto, notifications, highlights))
            result[room_id] = (notifications, highlights)
        return result

    def _remember(self, room_id: str, user_id: str, counted: _Counted) -> None:
        key = (room_id, user_id)
        self._counted[key] = counted
        self._counted.move_to_end(key)
        while len(self._counted) > _MAX_ENTRIES:
            self._counted.popitem(last=False)
