"""The redaction algorithm of each room version (spec: rooms fragments v1, v6, v9 and v11 redactions; v8).

Every version's keep-lists are worked out once, at import, so pruning costs the same in every version.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .room_versions import ROOM_VERSIONS, RoomVersion

_TOP_LEVEL_V1 = frozenset(
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
_TOP_LEVEL_V11 = _TOP_LEVEL_V1 - {"origin", "membership", "prev_state"}
_CONTENT_V1: dict[str, frozenset[str]] = {
    "m.room.member": frozenset({"membership"}),
    "m.room.create": frozenset({"creator"}),
    "m.room.join_rules": frozenset({"join_rule"}),
    "m.room.power_levels": frozenset(
        {"ban", "events", "events_default", "kick", "redact", "state_default", "users", "users_default"}
    ),
    "m.room.history_visibility": frozenset({"history_visibility"}),
}


@dataclass(frozen=True)
class _RedactionRules:
    top_level: frozenset[str]
    content: dict[str, frozenset[str]]  # event type -> content keys kept
    keeps_whole_create_content: bool
    keeps_signed_third_party_invite: bool


def _rules_for(version: RoomVersion) -> _RedactionRules:
    content = dict(_CONTENT_V1)
    if version.special_case_aliases:
        content["m.room.aliases"] = frozenset({"aliases"})
    if version.restricted_join_rule:
        content["m.room.join_rules"] = content["m.room.join_rules"] | {"allow"}
    if version.restricted_join_redaction_fix:
        content["m.room.member"] = content["m.room.member"] | {"join_authorised_via_users_server"}
    if version.v11_redaction_and_format:
        content["m.room.power_levels"] = content["m.room.power_levels"] | {"invite"}
        content["m.room.redaction"] = frozenset({"redacts"})
    v11 = version.v11_redaction_and_format
    return _RedactionRules(_TOP_LEVEL_V11 if v11 else _TOP_LEVEL_V1, content, v11, v11)


_RULES: dict[str, _RedactionRules] = {identifier: _rules_for(v) for identifier, v in ROOM_VERSIONS.items()}


def prune_event(event: dict[str, Any], version: RoomVersion) -> dict[str, Any]:
    """Strip an event to the keys that survive redaction; `unsigned` is dropped."""
    rules = _RULES[version.identifier]
    pruned = {key: value for key, value in event.items() if key in rules.top_level}
    content = event.get("content", {})
    event_type = event.get("type")
    if rules.keeps_whole_create_content and event_type == "m.room.create":
        pruned["content"] = dict(content)
        return pruned
    allowed = rules.content.get(str(event_type))
    new_content = {key: value for key, value in content.items() if allowed and key in allowed}
    if (
        rules.keeps_signed_third_party_invite
        and event_type == "m.room.member"
        and isinstance(content.get("third_party_invite"), dict)
        and "signed" in content["third_party_invite"]
    ):
        new_content["third_party_invite"] = {"signed": content["third_party_invite"]["signed"]}
    pruned["content"] = new_content
    return pruned
