"""Events as a particular client sees them: client format plus per-viewer `unsigned` data."""

from __future__ import annotations

from typing import Any

import orjson

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
        txn_ids = await self._transaction_ids(event_ids, requester) if requester else {}
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

    async def _transaction_ids(self, event_ids: list[str], requester: Requester) -> dict[str, str]:
        found: dict[str, str] = {}
        for start in range(0, len(event_ids), 500):
            chunk = event_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = await self.storage.db.fetchall(
                f"SELECT event_id, txn_id FROM event_txns WHERE event_id IN ({marks}) AND user_id = ?"
                " AND device_id = ?",
                *chunk,
                requester.user_id,
                requester.device_id,
            )
            found.update({str(r[0]): str(r[1]) for r in rows})
        return found

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
        result: dict[str, dict[str, Any]] = {}
        for start in range(0, len(event_ids), 500):
            chunk = event_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = await self.storage.db.fetchall(
                f"SELECT relates_to, rel_type, stream_pos, json, sender FROM events WHERE relates_to IN ({marks})"
                " AND rel_type IN ('m.replace', 'm.thread') AND redacted = 0 ORDER BY stream_pos",
                *chunk,
            )
            if not rows:
                continue
            originals = await self.storage.events.get_events({str(r[0]) for r in rows})
            for relates_to, rel_type, _pos, raw, sender in rows:
                target = str(relates_to)
                original = originals.get(target)
                if original is None:
                    continue
                entry = result.setdefault(target, {})
                event = orjson.loads(raw)
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
                    if sender == viewer or original.event["sender"] == viewer:
                        thread["current_user_participated"] = True
                    thread["latest_event"] = client_event(event)
        return result
