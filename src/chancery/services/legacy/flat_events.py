"""Events as the legacy (r0-era "v1") APIs show them: presence and receipts as flat events carrying their room
or user, and room events with the old top-level fields."""

from __future__ import annotations

from typing import Any

from ...clock import Clock
from ...storage import Storage
from ...storage.ephemeral import Receipt
from ..ephemeral import presence_content, receipt_contents


async def presence_events(
    storage: Storage, clock: Clock, users: list[str], after: int, upto: int
) -> list[dict[str, Any]]:
    """`m.presence` of `users` that changed in (after, upto], with `user_id` in the content as old clients read it."""
    now = clock.now_ms()
    return [
        {
            "type": "m.presence",
            "sender": p.user_id,
            "content": {**presence_content(p.state, p.status_msg, p.last_active_ts, now), "user_id": p.user_id},
        }
        for p in await storage.ephemeral.presence_since(users, after, upto)
    ]


def receipt_events(receipts: list[Receipt], viewer: str) -> list[dict[str, Any]]:
    """One `m.receipt` per room; private receipts only the viewer's own."""
    return [
        {"type": "m.receipt", "room_id": room, "content": content}
        for room, content in receipt_contents(receipts, viewer).items()
    ]


_V1_UNSIGNED_KEYS = ("age", "redacted_because", "replaces_state", "prev_content", "invite_room_state")


def v1_format(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Client events with what clients of the old APIs read: `user_id` (the sender) and the per-viewer
    `unsigned` data repeated at the top level."""
    for event in events:
        if "sender" in event:
            event["user_id"] = event["sender"]
        unsigned = event.get("unsigned", {})
        for key in _V1_UNSIGNED_KEYS:
            if key in unsigned:
                event[key] = unsigned[key]
    return events
