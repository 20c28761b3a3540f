"""Events as the client-server API shows them (client-server API: room event format)."""

from __future__ import annotations

from typing import Any

from .builder import redacted_event_id

_CLIENT_KEYS = ("content", "event_id", "origin_server_ts", "room_id", "sender", "type", "state_key")


def client_event(event: dict[str, Any], *, include_room_id: bool = True) -> dict[str, Any]:
    """The client view of a stored PDU, without `unsigned` (callers add it per viewer)."""
    out = {key: event[key] for key in _CLIENT_KEYS if key in event}
    if not include_room_id:
        out.pop("room_id", None)
    if event["type"] == "m.room.redaction":
        target = redacted_event_id(event)
        if target is not None:
            # Old clients read `redacts` at the top level, new ones in content (v11 "event format").
            out["redacts"] = target
            out["content"] = {**out["content"], "redacts": target}
    return out


def stripped_state_event(event: dict[str, Any]) -> dict[str, Any]:
    """Stripped state for invites and knocks (client-server API: stripped state)."""
    return {
        "type": event["type"],
        "state_key": event["state_key"],
        "content": event["content"],
        "sender": event["sender"],
    }
