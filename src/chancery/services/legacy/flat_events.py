"""Presence and receipts as the legacy APIs show them: flat events carrying their room or user."""

from __future__ import annotations

from typing import Any

from ...clock import Clock
from ...storage import Storage
from ...storage.ephemeral import Receipt
from ..ephemeral import presence_content


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
    by_room: dict[str, dict[str, Any]] = {}
    for receipt in receipts:
        if receipt.receipt_type == "m.read.private" and receipt.user_id != viewer:
            continue
        data: dict[str, Any] = {"ts": receipt.ts}
        if receipt.thread_id:
            data["thread_id"] = receipt.thread_id
        content = by_room.setdefault(receipt.room_id, {})
        content.setdefault(receipt.event_id, {}).setdefault(receipt.receipt_type, {})[receipt.user_id] = data
    return [{"type": "m.receipt", "room_id": room, "content": content} for room, content in by_room.items()]
