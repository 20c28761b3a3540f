"""Who may learn about a room they are not in (client-server API: spaces, room summaries): members, invitees
and knockers, and anyone when the room is public, knockable or world-readable, or restricted to members of a
room they are in. Anything else stays unknown, as if the room did not exist."""

from __future__ import annotations

from typing import Any

from ...storage import Storage
from ...storage.events import StateKey, StoredEvent

OPEN_JOIN_RULES = ("public", "knock", "knock_restricted")
RESTRICTED_JOIN_RULES = ("restricted", "knock_restricted")


def join_rule_of(state: dict[StateKey, StoredEvent]) -> str:
    event = state.get(("m.room.join_rules", ""))
    rule = event.event["content"].get("join_rule") if event is not None else None
    return rule if isinstance(rule, str) else "invite"


def allowed_room_ids(state: dict[StateKey, StoredEvent]) -> list[str]:
    """The rooms whose members may join a restricted room (its join rules' `allow` list)."""
    event = state.get(("m.room.join_rules", ""))
    allow = event.event["content"].get("allow") if event is not None else None
    if join_rule_of(state) not in RESTRICTED_JOIN_RULES or not isinstance(allow, list):
        return []
    return [
        entry["room_id"]
        for entry in allow
        if isinstance(entry, dict)
        and entry.get("type") == "m.room_membership"
        and isinstance(entry.get("room_id"), str)
    ]


def is_world_readable(state: dict[StateKey, StoredEvent]) -> bool:
    event = state.get(("m.room.history_visibility", ""))
    return event is not None and event.event["content"].get("history_visibility") == "world_readable"


def may_know_anonymously(state: dict[StateKey, StoredEvent]) -> bool:
    """What the spec lets a server show without authentication."""
    return join_rule_of(state) in OPEN_JOIN_RULES or is_world_readable(state)


async def may_know(storage: Storage, user_id: str | None, state: dict[StateKey, StoredEvent]) -> bool:
    if may_know_anonymously(state):
        return True
    if user_id is None:
        return False
    member = state.get(("m.room.member", user_id))
    if member is not None and member.event["content"].get("membership") in ("join", "invite", "knock"):
        return True
    for room_id in allowed_room_ids(state):
        if await storage.rooms.membership(room_id, user_id) == "join":
            return True
    return False


def summary_fields(state: dict[StateKey, StoredEvent], room_version: str) -> dict[str, Any]:
    """What a summary adds to the directory's description of a room."""
    fields: dict[str, Any] = {"room_version": room_version}
    encryption = state.get(("m.room.encryption", ""))
    algorithm = encryption.event["content"].get("algorithm") if encryption is not None else None
    if isinstance(algorithm, str):
        fields["encryption"] = algorithm
    allowed = allowed_room_ids(state)
    if allowed:
        fields["allowed_room_ids"] = allowed
    return fields
