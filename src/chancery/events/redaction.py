"""The redaction algorithm of each room version (spec: rooms v9/v11 redactions fragments)."""

from __future__ import annotations

from typing import Any

from .room_versions import RoomVersion

_TOP_LEVEL_V10 = frozenset(
    {
        "event_id",
        "type",
        "room_id",
        "sender",
        "state_key",
        "content",
        "hashes",
        "signatures",
        "depth",
        "prev_events",
        "prev_state",
        "auth_events",
        "origin",
        "origin_server_ts",
        "membership",
    }
)
# Room version 11 stops preserving these three (spec: rooms v11, redactions).
_TOP_LEVEL_V11 = _TOP_LEVEL_V10 - {"origin", "membership", "prev_state"}
_CONTENT_V10: dict[str, frozenset[str]] = {
    "m.room.member": frozenset({"membership", "join_authorised_via_users_server"}),
    "m.room.create": frozenset({"creator"}),
    "m.room.join_rules": frozenset({"join_rule", "allow"}),
    "m.room.power_levels": frozenset(
        {"ban", "events", "events_default", "kick", "redact", "state_default", "users", "users_default"}
    ),
    "m.room.history_visibility": frozenset({"history_visibility"}),
}
_CONTENT_V11: dict[str, frozenset[str]] = {
    **_CONTENT_V10,
    "m.room.power_levels": _CONTENT_V10["m.room.power_levels"] | {"invite"},
    "m.room.redaction": frozenset({"redacts"}),
}


def prune_event(event: dict[str, Any], version: RoomVersion) -> dict[str, Any]:
    """Strip an event to the keys that survive redaction; `unsigned` is dropped."""
    keep_top = _TOP_LEVEL_V11 if version.v11_redaction_and_format else _TOP_LEVEL_V10
    pruned = {key: value for key, value in event.items() if key in keep_top}
    content = event.get("content", {})
    event_type = event.get("type")
    if version.v11_redaction_and_format and event_type == "m.room.create":
        pruned["content"] = dict(content)
        return pruned
    allowed = (_CONTENT_V11 if version.v11_redaction_and_format else _CONTENT_V10).get(str(event_type))
    new_content = {key: value for key, value in content.items() if allowed and key in allowed}
    if (
        version.v11_redaction_and_format
        and event_type == "m.room.member"
        and isinstance(content.get("third_party_invite"), dict)
        and "signed" in content["third_party_invite"]
    ):
        new_content["third_party_invite"] = {"signed": content["third_party_invite"]["signed"]}
    pruned["content"] = new_content
    return pruned
