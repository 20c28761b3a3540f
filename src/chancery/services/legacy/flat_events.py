"""Presence and receipts as the legacy APIs show them: flat events carrying their room or user."""

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
