"""Which event another event relates to (client-server API: forming relationships between events). Pure."""

from __future__ import annotations

from typing import Any


def relation_of(event: dict[str, Any]) -> tuple[str | None, str | None]:
    """(parent event ID, rel_type) of an event's `m.relates_to`; rel_type None for a bare rich reply that
    names its parent with `event_id` too; (None, None) when the event relates to nothing."""
    relates = event.get("content", {}).get("m.relates_to")
    if isinstance(relates, dict):
        event_id = relates.get("event_id")
        rel_type = relates.get("rel_type")
        if isinstance(event_id, str):
            if isinstance(rel_type, str):
                return event_id, rel_type
            if isinstance(relates.get("m.in_reply_to"), dict):
                return event_id, None
    return None, None
