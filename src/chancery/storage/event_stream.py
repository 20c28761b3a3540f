"""Event reads beyond the core ones: several rooms in stream order (the legacy event stream) and a room's
events by timestamp (`timestamp_to_event`)."""

from __future__ import annotations

from .database import IN_LIST_CHUNK, Database
from .events import StoredEvent, row_to_event


class EventStreamStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def events_in_rooms(
        self, room_ids: list[str], *, after: int, upto: int, limit: int, newest_first: bool = False
    ) -> list[StoredEvent]:
        """The first `limit` events with `after < pos <= upto` in any of `room_ids`, oldest (or newest) first."""
        order = "DESC" if newest_first else "ASC"
        found: list[StoredEvent] = []
        for start in range(0, len(room_ids), IN_LIST_CHUNK):
            chunk = room_ids[start : start + IN_LIST_CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = await self.db.fetchall(
                f"SELECT stream_pos, json, redacted FROM events WHERE room_id IN ({marks})"
                f" AND stream_pos > ? AND stream_pos <= ? ORDER BY stream_pos {order} LIMIT ?",
                *chunk,
                after,
                upto,
                limit,
            )
            found += [row_to_event(row) for row in rows]
        found.sort(key=lambda s: s.pos, reverse=newest_first)
        return found[:limit]

    async def events_by_timestamp(
        self, room_id: str, ts: int, pos: int, *, forwards: bool, limit: int
    ) -> list[StoredEvent]:
        """Up to `limit` events of the room after (ts, pos) in (origin_server_ts, stream position) order, earliest
        first (forwards), or before it, latest first (backwards)."""
        sign, order = (">", "ASC") if forwards else ("<", "DESC")
        rows = await self.db.fetchall(
            "SELECT stream_pos, json, redacted FROM events WHERE room_id = ?"
            f" AND (origin_server_ts {sign} ? OR (origin_server_ts = ? AND stream_pos {sign} ?))"
            f" ORDER BY origin_server_ts {order}, stream_pos {order} LIMIT ?",
            room_id,
            ts,
            ts,
            pos,
            limit,
        )
        return [row_to_event(row) for row in rows]
