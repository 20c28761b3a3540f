"""Events as a particular client sees them: client format plus per-viewer `unsigned` data."""

from __future__ import annotations

from typing import Any

from ..clock import Clock
from ..events.client_format import client_event
from ..storage import Storage
from ..storage.events import StoredEvent
from .requester import Requester


class EventSerializer:
    def __init__(self, storage: Storage, clock: Clock) -> None:
        self.storage = storage
        self.clock = clock

    async def serialize(
        self,
        events: list[StoredEvent],
        requester: Requester | None,
        *,
        include_room_id: bool = True,
        with_relations: bool = True,
    ) -> list[dict[str, Any]]:
        if not events:
            return []
        event_ids = [s.event_id for s in events]
        txn_ids = (
            await self.storage.events.transaction_ids(event_ids, requester.user_id, requester.device_id)
            if requester
            else {}
        )
        redacted_by = await self._redactions([s for s in events if s.redacted])
        viewer = requester.user_id if requester else None
        relations = await self._relations(event_ids, viewer) if with_relations else {}
        now = self.clock.now_ms()
        out = []
        for stored in events:
            event = stored.event
            serialized = client_event(event, include_room_id=include_room_id)
            unsigned: dict[str, Any] = {}
            stored_unsigned = event.get("unsigned", {})
            for key in ("prev_content", "replaces_state", "prev_sender", "invite_room_state"):
                if key in stored_unsigned:
                    unsigned[key] = stored_unsigned[key]
            unsigned["age"] = max(0, now - int(event["origin_server_ts"]))
            if stored.event_id in txn_ids:
                unsigned["transaction_id"] = txn_ids[stored.event_id]
            if stored.event_id in redacted_by:
                unsigned["redacted_because"] = redacted_by[stored.event_id]
            if stored.event_id in relations:
                unsigned["m.relations"] = relations[stored.event_id]
            if "state_key" in event and "prev_content" not in unsigned and "replaces_state" in unsigned:
                unsigned.pop("replaces_state")
            serialized["unsigned"] = unsigned
            out.append(serialized)
        return out

    async def _redactions(self, events: list[StoredEvent]) -> dict[str, dict[str, Any]]:
        result: dict[str, dict[str, Any]] = {}
        for stored in events:
            redaction_id = await self.storage.events.redaction_of(stored.event_id)
            if redaction_id is None:
                continue
            redaction = await self.storage.events.get_event(redaction_id)
            if redaction is not None:
                result[stored.event_id] = client_event(redaction.event)
        return result

    async def _relations(self, event_ids: list[str], viewer: str | None) -> dict[str, dict[str, Any]]:
        """The server-side aggregations: the latest edit and a thread summary (client-server API)."""
        result: dict[str, dict[str, Any]] = {}
        relating = await self.storage.events.aggregated_relations(event_ids)
        if not relating:
            return result
        originals = await self.storage.events.get_events({target for target, _, _ in relating})
        for target, rel_type, stored in relating:
            original = originals.get(target)
            if original is None:
                continue
            entry = result.setdefault(target, {})
            event = stored.event
            sender = event["sender"]
            if rel_type == "m.replace":
                if sender == original.event["sender"] and "state_key" not in original.event:
                    entry["m.replace"] = {
                        "event_id": event["event_id"],
                        "origin_server_ts": event["origin_server_ts"],
                        "sender": sender,
                    }
            else:
                thread = entry.setdefault("m.thread", {"count": 0, "current_user_participated": False})
                thread["count"] += 1
                if viewer in (sender, original.event["sender"]):
                    thread["current_user_participated"] = True
                thread["latest_event"] = client_event(event)
        return result
