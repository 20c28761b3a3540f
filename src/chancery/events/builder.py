"""Building a complete, hashed and signed event from what a service decided (server-server API: PDUs)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from signedjson.types import SigningKey

from .hashing import add_content_hash, compute_event_id, room_id_from_create_event_id
from .room_versions import EventIdFormat, RoomVersion
from .signing import sign_event


@dataclass(frozen=True)
class EventDraft:
    """What the server wants to say; the builder adds the graph, hashes, signature and ID."""

    event_type: str
    sender: str
    content: dict[str, Any]
    state_key: str | None = None
    redacts: str | None = None


def build_event(
    draft: EventDraft,
    *,
    version: RoomVersion,
    room_id: str | None,
    prev_events: list[str],
    auth_events: list[str],
    depth: int,
    origin_server_ts: int,
    server_name: str,
    signing_key: SigningKey,
    event_id: str | None = None,
    reference_hashes: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Return the signed event with `event_id` (and, for a v12 create event, the derived `room_id`).

    Room versions 1 and 2 need the `event_id` the server chose and the reference hash (unpadded base64)
    of every event in `prev_events` and `auth_events`; later versions compute the ID and need neither.
    """
    content = dict(draft.content)
    event: dict[str, Any] = {
        "type": draft.event_type,
        "sender": draft.sender,
        "content": content,
        "prev_events": prev_events,
        "auth_events": auth_events,
        "depth": depth,
        "origin_server_ts": origin_server_ts,
    }
    server_assigned = version.event_id_format is EventIdFormat.SERVER_ASSIGNED
    if server_assigned:
        if event_id is None or reference_hashes is None:
            raise ValueError(f"room version {version.identifier} events need an event_id and reference hashes")
        # The ID is part of the event in these versions: hashed and signed with the rest.
        event["event_id"] = event_id
        event["prev_events"] = [[ref, {"sha256": reference_hashes[ref]}] for ref in prev_events]
        event["auth_events"] = [[ref, {"sha256": reference_hashes[ref]}] for ref in auth_events]
    is_v12_create = draft.event_type == "m.room.create" and version.create_event_defines_room_id
    if not is_v12_create:
        if room_id is None:
            raise ValueError("events other than a v12 create event need a room_id")
        event["room_id"] = room_id
    if draft.state_key is not None:
        event["state_key"] = draft.state_key
    if draft.redacts is not None:
        if version.v11_redaction_and_format:
            content["redacts"] = draft.redacts
        else:
            event["redacts"] = draft.redacts
    add_content_hash(event)
    sign_event(event, server_name, signing_key, version)
    if not server_assigned:
        event["event_id"] = compute_event_id(event, version)
    if is_v12_create:
        event["room_id"] = room_id_from_create_event_id(event["event_id"])
    return event


def referenced_event_ids(references: Any) -> list[str]:
    """The event IDs in `prev_events` or `auth_events` of any room version (pairs in v1 and v2)."""
    if not isinstance(references, list):
        return []
    ids = [ref[0] if isinstance(ref, list) and ref else ref for ref in references]
    return [event_id for event_id in ids if isinstance(event_id, str)]


def redacted_event_id(event: dict[str, Any]) -> str | None:
    """The target of a redaction in any room version (top level before v11, content after)."""
    target = event.get("content", {}).get("redacts") or event.get("redacts")
    return target if isinstance(target, str) else None
