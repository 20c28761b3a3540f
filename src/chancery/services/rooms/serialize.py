"""Events as a particular client sees them: client format plus per-viewer `unsigned` data."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from ...clock import Clock
from ...events.client_format import client_event
from ...lru import Lru
from ...storage import Storage
from ...storage.events import StoredEvent
from ..accounts.requester import Requester
from .recent_events import RecentEvents
from .visibility import VisibilityService

_MAX_ENCODED_EVENTS = 5_000


class EventSerializer:
    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        visibility: VisibilityService,
        recent_events: RecentEvents | None = None,
    ) -> None:
        self.storage = storage
        self.clock = clock
        self.visibility = visibility
        self.recent_events = recent_events
        # (event ID, redacted, with room ID) -> the viewer-independent part of the event's JSON
        self._encoded: Lru[tuple[str, bool, bool], bytes] = Lru(_MAX_ENCODED_EVENTS)

    async def serialize(
        self,
        events: list[StoredEvent],
        requester: Requester | None,
        *,
        include_room_id: bool = True,
        with_relations: bool = True,
    ) -> list[dict[str, Any]]:
        groups = await self.serialize_groups(
            [events], requester, include_room_id=include_room_id, with_relations=with_relations
        )
        return groups[0]

    async def serialize_groups(
        self,
        groups: list[list[StoredEvent]],
        requester: Requester | None,
        *,
        include_room_id: bool = True,
        with_relations: bool = True,
        relations_for: Collection[str] | None = None,
    ) -> list[list[dict[str, Any]]]:
        """serialize() for several lists at once (e.g. every room of a /sync), with one lookup of each kind.
        `relations_for`: the only events that may have relations to bundle (default: any of them)."""
        data = await self._unsigned_data(groups, requester, with_relations, relations_for)
        return [[_client_event(stored, data, include_room_id) for stored in group] for group in groups]

    async def serialize_groups_json(
        self,
        groups: list[list[StoredEvent]],
        requester: Requester | None,
        *,
        include_room_id: bool = True,
        relations_for: Collection[str] | None = None,
        joined_during: Mapping[str, tuple[int, int]] | None = None,
    ) -> list[list[orjson.Fragment]]:
        """serialize_groups() as JSON fragments for orjson to embed in a response. The part of an event that
        is the same for every viewer is encoded once and reused (a busy room's event goes to every member).
        `joined_during`: room -> (first, last) positions between which the viewer was joined there without a
        break; bundled events of the room sent meanwhile need no visibility lookup."""
        data = await self._unsigned_data(groups, requester, True, relations_for, joined_during)
        return [[self._fragment(stored, data, include_room_id) for stored in group] for group in groups]

    def forget(self, event_id: str) -> None:
        """Drop the encoded copies of an event whose content must leave memory (spillage)."""
        for redacted in (False, True):
            for with_room_id in (False, True):
                self._encoded.pop((event_id, redacted, with_room_id))

    def _fragment(self, stored: StoredEvent, data: _UnsignedData, include_room_id: bool) -> orjson.Fragment:
        key = (stored.event_id, stored.redacted, include_room_id)
        opening = self._encoded.get(key)
        if opening is None:
            # The object without its closing brace; `unsigned`, which differs per viewer, is appended.
            opening = orjson.dumps(client_event(stored.event, include_room_id=include_room_id))[:-1]
            self._encoded.put(key, opening)
        return orjson.Fragment(opening + b',"unsigned":' + orjson.dumps(_unsigned(stored, data)) + b"}")

    async def _unsigned_data(
        self,
        groups: list[list[StoredEvent]],
        requester: Requester | None,
        with_relations: bool,
        relations_for: Collection[str] | None,
        joined_during: Mapping[str, tuple[int, int]] | None = None,
    ) -> _UnsignedData:
        events = [stored for group in groups for stored in group]
        if not events:
            return _UnsignedData({}, {}, {}, self.clock.now_ms())
        txn_ids = await self._transaction_ids(events, requester)
        targets = {s.event_id: s for s in events if relations_for is None or s.event_id in relations_for}
        relating = await self.storage.events.aggregated_relations(list(targets)) if with_relations and targets else []
        # Only what relates to an event of its own room counts (the spec ignores relations across rooms).
        relating = [r for r in relating if r[2].event["room_id"] == targets[r[0]].event["room_id"]]
        redactions = await self._redactions([s for s in events if s.redacted])
        # Bundled events are shown only to a viewer who may see them: a member who left learns nothing of
        # the replies, edits and redactions made after leaving through events they may still see.
        bundled = [*(r[2] for r in relating), *redactions.values()]
        visible = await self._visible_ids(requester, bundled, joined_during or {})
        redacted_by = {
            event_id: client_event(redaction.event)
            for event_id, redaction in redactions.items()
            if redaction.event_id in visible
        }
        viewer = requester.user_id if requester else None
        relations = _aggregate(targets, [r for r in relating if r[2].event_id in visible], viewer)
        return _UnsignedData(txn_ids, redacted_by, relations, self.clock.now_ms())

    async def _visible_ids(
        self, requester: Requester | None, events: list[StoredEvent], joined_during: Mapping[str, tuple[int, int]]
    ) -> set[str]:
        """The IDs of the events the viewer may see (history visibility)."""
        visible: set[str] = set()
        by_room: dict[str, list[StoredEvent]] = {}
        for stored in events:
            room_id = stored.event["room_id"]
            first, last = joined_during.get(room_id, (0, -1))
            if first <= stored.pos <= last:
                visible.add(stored.event_id)  # sent while the viewer was a member: visible
            else:
                by_room.setdefault(room_id, []).append(stored)
        if not by_room:
            return visible
        # Without a requester, only what anyone may see (world-readable history).
        viewer = requester.user_id if requester else ""
        checked = await self.visibility.filter_visible_in_rooms(viewer, by_room)
        return visible | {stored.event_id for room_events in checked.values() for stored in room_events}

    async def _transaction_ids(self, events: list[StoredEvent], requester: Requester | None) -> dict[str, str]:
        """event ID -> transaction ID, for the requester's own events sent from this device."""
        if requester is None:
            return {}
        own = list(dict.fromkeys(s.event_id for s in events if s.event["sender"] == requester.user_id))
        if not own:
            return {}
        device = (requester.user_id, requester.device_id)
        known = self.recent_events.transaction_ids(own) if self.recent_events else {}
        found = {event_id: txn[2] for event_id, txn in known.items() if txn is not None and txn[:2] == device}
        missing = [event_id for event_id in own if event_id not in known]
        if missing:
            found |= await self.storage.events.transaction_ids(missing, *device)
        return found

    async def _redactions(self, redacted: list[StoredEvent]) -> dict[str, StoredEvent]:
        """redacted event ID -> the redaction event that redacted it (always of the same room)."""
        if not redacted:
            return {}
        redaction_ids = await self.storage.events.redactions_of([s.event_id for s in redacted])
        redactions = await self.storage.events.get_events(redaction_ids.values())
        rooms = {s.event_id: s.event["room_id"] for s in redacted}
        return {
            event_id: redactions[redaction_id]
            for event_id, redaction_id in redaction_ids.items()
            if redaction_id in redactions and redactions[redaction_id].event["room_id"] == rooms[event_id]
        }


def _aggregate(
    targets: dict[str, StoredEvent], relating: list[tuple[str, str, StoredEvent]], viewer: str | None
) -> dict[str, dict[str, Any]]:
    """The server-side aggregations, from relating events of the targets' rooms that the viewer may see:
    the latest edit and a thread summary (client-server API: event replacements, threading)."""
    result: dict[str, dict[str, Any]] = {}
    for target, rel_type, stored in relating:
        original = targets[target].event
        entry = result.setdefault(target, {})
        event = stored.event
        sender = event["sender"]
        if rel_type == "m.replace":
            if sender == original["sender"] and "state_key" not in original:
                entry["m.replace"] = {
                    "event_id": event["event_id"],
                    "origin_server_ts": event["origin_server_ts"],
                    "sender": sender,
                }
        else:
            thread = entry.setdefault("m.thread", {"count": 0, "current_user_participated": False})
            thread["count"] += 1
            if viewer in (sender, original["sender"]):
                thread["current_user_participated"] = True
            thread["latest_event"] = client_event(event)
    return {target: entry for target, entry in result.items() if entry}


@dataclass(frozen=True)
class _UnsignedData:
    """Per-viewer data looked up for a batch of events, keyed by event ID."""

    txn_ids: dict[str, str]
    redacted_by: dict[str, dict[str, Any]]
    relations: dict[str, dict[str, Any]]
    now: int


def _client_event(stored: StoredEvent, data: _UnsignedData, include_room_id: bool) -> dict[str, Any]:
    serialized = client_event(stored.event, include_room_id=include_room_id)
    serialized["unsigned"] = _unsigned(stored, data)
    return serialized


def _unsigned(stored: StoredEvent, data: _UnsignedData) -> dict[str, Any]:
    """The event's `unsigned` as this viewer sees it."""
    event = stored.event
    unsigned: dict[str, Any] = {}
    stored_unsigned = event.get("unsigned", {})
    for key in ("prev_content", "replaces_state", "prev_sender", "invite_room_state"):
        if key in stored_unsigned:
            unsigned[key] = stored_unsigned[key]
    unsigned["age"] = max(0, data.now - int(event["origin_server_ts"]))
    event_id = stored.event_id
    if event_id in data.txn_ids:
        unsigned["transaction_id"] = data.txn_ids[event_id]
    if event_id in data.redacted_by:
        unsigned["redacted_because"] = data.redacted_by[event_id]
    if event_id in data.relations:
        unsigned["m.relations"] = data.relations[event_id]
    if "state_key" in event and "prev_content" not in unsigned and "replaces_state" in unsigned:
        unsigned.pop("replaces_state")
    return unsigned
