"""`GET /notifications` (client-server API: push notifications, listing notifications): the events that
notified the user, newest first. The same events /sync counts in `notification_count` and `highlight_count`
(events/notifications.py decides them once per event), so the list and the counts agree."""

from __future__ import annotations

from typing import Any

from ...errors import invalid_param
from ...numbers import parse_decimal
from ...storage import Storage
from ...storage.pushers import NotifiedEvent
from ..accounts.requester import Requester
from ..rooms.serialize import EventSerializer
from ..rooms.visibility import VisibilityService

MAX_LIMIT = 100
_SCAN_ROUNDS = 5  # batches read to fill a page when history visibility hides some events


def notification_actions(highlight: bool) -> list[Any]:
    """The actions of the default rules that notify: a sound and a highlight for mentions."""
    if highlight:
        return ["notify", {"set_tweak": "sound", "value": "default"}, {"set_tweak": "highlight"}]
    return ["notify", {"set_tweak": "highlight", "value": False}]


class NotificationService:
    def __init__(self, storage: Storage, serializer: EventSerializer, visibility: VisibilityService) -> None:
        self.storage = storage
        self.serializer = serializer
        self.visibility = visibility

    async def notifications(
        self, requester: Requester, from_token: str | None, limit: int, only: str | None
    ) -> dict[str, Any]:
        before = _position_of(from_token)
        user_id = requester.user_id
        found: list[NotifiedEvent] = []
        visible_ids: set[str] = set()
        exhausted = False
        for _ in range(_SCAN_ROUNDS):
            batch = await self.storage.pushers.notified_events(user_id, before, limit, only == "highlight")
            exhausted = len(batch) < limit
            stored = await self.storage.events.get_events(n.event_id for n in batch)
            by_room: dict[str, list[Any]] = {}
            for notified in batch:
                if notified.event_id in stored:
                    by_room.setdefault(notified.room_id, []).append(stored[notified.event_id])
            hidden = await self.visibility.rooms_hidden_from(requester, list(by_room))
            by_room = {room_id: events for room_id, events in by_room.items() if room_id not in hidden}
            for events in (await self.visibility.filter_visible_in_rooms(user_id, by_room)).values():
                visible_ids.update(e.event_id for e in events)
            found.extend(n for n in batch if n.event_id in visible_ids)
            if batch:
                before = batch[-1].stream_pos
            if exhausted or len(found) >= limit:
                break
        more = not exhausted or len(found) > limit
        found = found[:limit]
        return {
            "notifications": await self._entries(requester, found),
            **({"next_token": str(found[-1].stream_pos)} if found and more else {}),
        }

    async def _entries(self, requester: Requester, found: list[NotifiedEvent]) -> list[dict[str, Any]]:
        stored = await self.storage.events.get_events(n.event_id for n in found)
        events = await self.serializer.serialize([stored[n.event_id] for n in found], requester)
        read = await self.storage.ephemeral.read_receipt_positions(list({n.room_id for n in found}), requester.user_id)
        return [
            {
                "actions": notification_actions(n.highlight),
                "event": event,
                "read": n.stream_pos <= read.get(n.room_id, 0),
                "room_id": n.room_id,
                "ts": event["origin_server_ts"],
            }
            for n, event in zip(found, events, strict=True)
        ]


def _position_of(from_token: str | None) -> int:
    if from_token is None:
        return 2**63 - 1
    pos = parse_decimal(from_token)
    if pos is None:
        raise invalid_param("from is not a token this server gave out")
    return pos
