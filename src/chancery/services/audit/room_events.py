"""Audit entries for room state changes, written by the room event persister inside the event's transaction.

`RoomEventService.event_auditors` maps an event type to the auditors called for each state event of that
type just before the event is stored (before its stream position is taken). Other modules (classification)
register their own types the same way. Message events are never audited: the send path stays as it was.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from ...storage.database import Connection
from .actor import Actor, current_actor
from .log import AuditLog

# (transaction, the state event about to be stored, the state event it replaces, whether the room is being
# created in this transaction) -> writes audit entries with AuditLog.record(transaction, ...).
Event = dict[str, Any]
EventAuditor = Callable[[Connection, Event, Event | None, bool], Awaitable[None]]

CREATE = "m.room.create"
MEMBER = "m.room.member"
POWER_LEVELS = "m.room.power_levels"
# State events that decide who may reach a room's content, audited as "<name>.change".
_ACCESS_RULES = {
    "m.room.join_rules": ("join_rules.change", "join_rule"),
    "m.room.history_visibility": ("history_visibility.change", "history_visibility"),
    "m.room.guest_access": ("guest_access.change", "guest_access"),
    "m.room.encryption": ("encryption.change", "algorithm"),
}


def membership_action(event: dict[str, Any], replaced: dict[str, Any] | None) -> str | None:
    """membership.invite|join|leave|kick|ban|unban|knock, or None for a change that is not one (a join
    that only changes the display name)."""
    new = event["content"].get("membership")
    old = replaced["content"].get("membership") if replaced is not None else None
    by_self = event["sender"] == event["state_key"]
    if new == "leave" and not by_self:
        return "membership.unban" if old == "ban" else "membership.kick"
    if new == old and new == "join":
        return None
    if new in ("invite", "join", "leave", "ban", "knock"):
        return f"membership.{new}"
    return None


def _changed(old: Event, new: Event) -> dict[str, Any]:
    """Power level entries that differ ({"users.@a:x": [50, 100], "events.m.room.name": [None, 50], ...}).
    Two levels deep, as power levels are; deeper values are compared whole (no recursion on client JSON)."""
    changes: dict[str, Any] = {}
    for key in sorted(old.keys() | new.keys()):
        before, after = old.get(key), new.get(key)
        if isinstance(before, dict) or isinstance(after, dict):
            inner_before = before if isinstance(before, dict) else {}
            inner_after = after if isinstance(after, dict) else {}
            for inner in sorted(inner_before.keys() | inner_after.keys()):
                if inner_before.get(inner) != inner_after.get(inner):
                    changes[f"{key}.{inner}"] = [inner_before.get(inner), inner_after.get(inner)]
        elif before != after:
            changes[key] = [before, after]
    return changes


class RoomEventAuditor:
    def __init__(self, audit: AuditLog) -> None:
        self.audit = audit

    def actor_for(self, event: dict[str, Any]) -> Actor:
        """Whoever's request caused the event (an administrator removing a user is the actor of the
        user's leave), or the event's sender when no request is being handled."""
        return current_actor() or Actor(event["sender"], via="server")

    async def on_create(self, txn: Connection, event: Event, replaced: Event | None, creating: bool) -> None:
        details = {"room_version": event["content"].get("room_version", "1"), "sender": event["sender"]}
        await self.audit.record(txn, self.actor_for(event), "room.create", event["room_id"], details=details)

    async def on_member(self, txn: Connection, event: Event, replaced: Event | None, creating: bool) -> None:
        action = membership_action(event, replaced)
        if action is None:
            return
        details = {"user_id": event["state_key"], "sender": event["sender"]}
        await self.audit.record(txn, self.actor_for(event), action, event["room_id"], details=details)

    async def on_power_levels(self, txn: Connection, event: Event, replaced: Event | None, creating: bool) -> None:
        if creating or replaced is None:
            return  # a new room's initial power levels are part of its creation
        changes = _changed(replaced["content"], event["content"])
        if changes:
            await self.audit.record(
                txn, self.actor_for(event), "power_levels.change", event["room_id"], details={"changes": changes}
            )

    async def on_access_rule(self, txn: Connection, event: Event, replaced: Event | None, creating: bool) -> None:
        if creating:
            return
        action, field = _ACCESS_RULES[event["type"]]
        before = replaced["content"].get(field) if replaced is not None else None
        after = event["content"].get(field)
        if before != after:
            details = {field: after, "previous": before}
            await self.audit.record(txn, self.actor_for(event), action, event["room_id"], details=details)

    def install(self, auditors: dict[str, list[EventAuditor]]) -> None:
        auditors.setdefault(CREATE, []).append(self.on_create)
        auditors.setdefault(MEMBER, []).append(self.on_member)
        auditors.setdefault(POWER_LEVELS, []).append(self.on_power_levels)
        for event_type in _ACCESS_RULES:
            auditors.setdefault(event_type, []).append(self.on_access_rule)
