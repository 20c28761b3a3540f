"""Rules for events this server's own users create, beyond the room version's auth rules."""

from __future__ import annotations

from typing import Any

from ...errors import forbidden
from ...events.power_levels import StateMap
from ...events.room_versions import RoomVersion


def check_aliases_sender_joined(event: dict[str, Any], state: StateMap, version: RoomVersion) -> None:
    """In room versions 1-5 the auth rules let any user of a server set that server's `m.room.aliases`, even
    from outside the room; this server lets only joined members do so (the auth rules of later versions
    require membership for every event anyway)."""
    if event["type"] != "m.room.aliases" or not version.special_case_aliases:
        return
    member = state.get(("m.room.member", event["sender"]))
    if member is None or member["content"].get("membership") != "join":
        raise forbidden("You must be joined to the room to set its aliases")
