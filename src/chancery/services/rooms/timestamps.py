"""Jumping to a date (client-server API: `GET /rooms/{roomId}/timestamp_to_event`): the visible event
closest to a timestamp in one direction."""

from __future__ import annotations

from typing import Any

from ...errors import forbidden, invalid_param, not_found
from ...storage import Storage
from ...storage.event_stream import EventStreamStore
from ..accounts.requester import Requester
from .visibility import VisibilityService

BATCH = 100
MAX_SCANNED = 5_000


class TimestampService:
    def __init__(self, storage: Storage, visibility: VisibilityService) -> None:
        self.storage = storage
        self.visibility = visibility
        self.store = EventStreamStore(storage.db)

    async def closest_event(self, requester: Requester, room_id: str, ts: int, direction: str) -> dict[str, Any]:
        if direction not in ("f", "b"):
            raise invalid_param("dir must be 'f' or 'b'")
        allowed, _ = await self.visibility.can_see_room_state(requester.user_id, room_id)
        if not allowed:
            raise forbidden("You are not in this room")
        forwards = direction == "f"
        cursor = (ts, -1 if forwards else 2**62)
        for _ in range(MAX_SCANNED // BATCH):
            batch = await self.store.events_by_timestamp(room_id, *cursor, forwards=forwards, limit=BATCH)
            if not batch:
                break
            visible = await self.visibility.filter_visible(requester.user_id, room_id, batch)
            if visible:
                event = visible[0].event
                return {"event_id": event["event_id"], "origin_server_ts": event["origin_server_ts"]}
            last = batch[-1]
            cursor = (int(last.event["origin_server_ts"]), last.pos)
        raise not_found("No event found in that direction")
