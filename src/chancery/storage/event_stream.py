"""Reads for the legacy event stream and room previews: events of several rooms in stream order."""

from __future__ import annotations

from .database import IN_LIST_CHUNK, Database
from .events import StoredEvent, row_to_event


class EventStreamStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def events_in_rooms(self, room_ids: list[str], *, after: int, upto: int, limit: int) -> list[StoredEvent]:
        """The oldest `limit` events with `after < pos <= upto` in any of `room_ids`, oldest first."""
        found: list[StoredEvent] = []
        for start in range(0, len(room_ids), IN_LIST_CHUNK):
            chunk = room_ids[start : start + IN_LIST_CHUNK]
            rows = await self.db.fetchall(
                "SELECT stream_pos, json, redacted FROM events WHERE room_id IN ({marks})"
                " AND stream_pos > ? AND stream_pos <= ? ORDER BY stream_pos LIMIT ?".format(
                    marks=",".join("?" * len(chunk))
                ),
                *chunk,
                after,
                upto,
                limit,
            )
            found += [row_to_event(row) for row in rows]
        found.sort(key=lambda s: s.pos)
        return found[:limit]
