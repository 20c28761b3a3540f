"""The redaction algorithm per room version (spec: rooms/fragments v9-redactions for v10, v11-redactions for v11+)."""

from __future__ import annotations

from typing import Any

import pytest

from chancery.events.redaction import prune_event
from chancery.events.room_versions import ROOM_VERSIONS

# Every top-level key any version's list mentions, plus some that no version keeps.
FULL_TOP_LEVEL: dict[str, Any] = {
    "event_id": "$e",
    "type": "m.room.message",
    "room_id": "!r:hs",
    "sender": "@u:hs",
    "state_key": "",
    "content": {},
    "hashes": {"sha256": "abc"},
    "signatures": {"hs": {"ed25519:1": "sig"}},
    "depth": 4,
    "prev_events": ["$p"],
    "prev_state": [],
    "auth_events": ["$a"],
    "origin": "hs",
    "origin_server_ts": 1,
    "membership": "join",
    "unsigned": {"age": 5},
    "redacts": "$target",
    "custom": "x",
}
COMMON_TOP = {
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
    "auth_events",
    "origin_server_ts",
}
TOP_LEVEL_KEPT = {
    # v9 fragment additionally keeps prev_state, origin and membership; v11 drops them.
    "10": COMMON_TOP | {"prev_state", "origin", "membership"},
    "11": COMMON_TOP,
    "12": COMMON_TOP,
}


@pytest.mark.parametrize("version", ["10", "11", "12"])
def test_top_level_keys(version: str) -> None:
    pruned = prune_event(dict(FULL_TOP_LEVEL), ROOM_VERSIONS[version])
    assert set(pruned) == TOP_LEVEL_KEPT[version]
    # Kept values are untouched; `unsigned` and top-level `redacts` never survive.
    assert all(pruned[key] == FULL_TOP_LEVEL[key] for key in pruned if key != "content")


PL_CONTENT = {
    "ban": 50,
    "events": {"m.room.name": 50},
    "events_default": 0,
    "invite": 0,
    "kick": 50,
    "redact": 50,
    "state_default": 50,
    "users": {"@u:hs": 100},
    "users_default": 0,
    "notifications": {"room": 50},
    "historical": 100,
}
PL_KEPT_V10 = {"ban", "events", "events_default", "kick", "redact", "state_default", "users", "users_default"}
CREATE_CONTENT = {
    "creator": "@u:hs",
    "room_version": "10",
    "m.federate": False,
    "predecessor": {"room_id": "!old:hs"},
    "type": "m.space",
    "additional_creators": ["@v:hs"],
}
MEMBER_CONTENT: dict[str, Any] = {
    "membership": "invite",
    "join_authorised_via_users_server": "@admin:hs",
    "displayname": "Alice",
    "avatar_url": "mxc://hs/a",
    "reason": "why",
    "is_direct": True,
    "third_party_invite": {"display_name": "a***@e", "signed": {"mxid": "@u:hs", "token": "t", "signatures": {}}},
}

# (event type, content, {version: surviving content keys}) — one row per event type the fragments list.
CONTENT_ROWS: list[tuple[str, dict[str, Any], dict[str, set[str]]]] = [
    (
        "m.room.member",
        MEMBER_CONTENT,
        {
            "10": {"membership", "join_authorised_via_users_server"},
            "11": {"membership", "join_authorised_via_users_server", "third_party_invite"},
            "12": {"membership", "join_authorised_via_users_server", "third_party_invite"},
        },
    ),
    ("m.room.create", CREATE_CONTENT, {"10": {"creator"}, "11": set(CREATE_CONTENT), "12": set(CREATE_CONTENT)}),
    (
        "m.room.join_rules",
        {"join_rule": "restricted", "allow": [{"type": "m.room_membership", "room_id": "!s:hs"}], "extra": 1},
        {"10": {"join_rule", "allow"}, "11": {"join_rule", "allow"}, "12": {"join_rule", "allow"}},
    ),
    (
        "m.room.power_levels",
        PL_CONTENT,
        {"10": PL_KEPT_V10, "11": PL_KEPT_V10 | {"invite"}, "12": PL_KEPT_V10 | {"invite"}},
    ),
    (
        "m.room.history_visibility",
        {"history_visibility": "joined", "extra": 1},
        {"10": {"history_visibility"}, "11": {"history_visibility"}, "12": {"history_visibility"}},
    ),
    ("m.room.redaction", {"redacts": "$t", "reason": "spam"}, {"10": set(), "11": {"redacts"}, "12": {"redacts"}}),
    ("m.room.message", {"msgtype": "m.text", "body": "hello"}, {"10": set(), "11": set(), "12": set()}),
    ("m.room.name", {"name": "Secret"}, {"10": set(), "11": set(), "12": set()}),
    ("m.room.topic", {"topic": "t"}, {"10": set(), "11": set(), "12": set()}),
    ("m.room.encryption", {"algorithm": "m.megolm.v1.aes-sha2"}, {"10": set(), "11": set(), "12": set()}),
    ("m.room.aliases", {"aliases": ["#a:hs"]}, {"10": set(), "11": set(), "12": set()}),
]

CONTENT_CASES = [
    pytest.param(event_type, content, version, kept[version], id=f"v{version}-{event_type}")
    for event_type, content, kept in CONTENT_ROWS
    for version in ("10", "11", "12")
]


@pytest.mark.parametrize(("event_type", "content", "version", "kept"), CONTENT_CASES)
def test_content_keys(event_type: str, content: dict[str, Any], version: str, kept: set[str]) -> None:
    event = {"type": event_type, "state_key": "", "sender": "@u:hs", "content": dict(content)}
    pruned = prune_event(event, ROOM_VERSIONS[version])
    assert set(pruned["content"]) == kept
    for key in kept - {"third_party_invite"}:
        assert pruned["content"][key] == content[key]


@pytest.mark.parametrize("version", ["11", "12"])
def test_member_third_party_invite_keeps_only_signed(version: str) -> None:
    event = {"type": "m.room.member", "state_key": "@u:hs", "content": dict(MEMBER_CONTENT)}
    pruned = prune_event(event, ROOM_VERSIONS[version])
    assert pruned["content"]["third_party_invite"] == {"signed": MEMBER_CONTENT["third_party_invite"]["signed"]}


@pytest.mark.parametrize("version", ["11", "12"])
def test_member_third_party_invite_without_signed_is_dropped(version: str) -> None:
    content = {"membership": "invite", "third_party_invite": {"display_name": "x"}}
    pruned = prune_event({"type": "m.room.member", "content": content}, ROOM_VERSIONS[version])
    assert pruned["content"] == {"membership": "invite"}


@pytest.mark.parametrize("version", ["10", "11", "12"])
def test_prune_does_not_modify_its_input(version: str) -> None:
    event = {**FULL_TOP_LEVEL, "type": "m.room.member", "content": dict(MEMBER_CONTENT)}
    before = {**event, "content": dict(event["content"])}
    prune_event(event, ROOM_VERSIONS[version])
    assert event == before


@pytest.mark.parametrize("version", ["10", "11", "12"])
def test_pruning_is_idempotent(version: str) -> None:
    event = {**FULL_TOP_LEVEL, "type": "m.room.power_levels", "content": dict(PL_CONTENT)}
    once = prune_event(event, ROOM_VERSIONS[version])
    assert prune_event(once, ROOM_VERSIONS[version]) == once


@pytest.mark.parametrize("version", ["10", "11", "12"])
def test_event_without_content_gets_empty_content(version: str) -> None:
    pruned = prune_event({"type": "m.room.message", "sender": "@u:hs"}, ROOM_VERSIONS[version])
    assert pruned["content"] == {}
