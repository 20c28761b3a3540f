"""The redaction algorithm per room version (spec: rooms/fragments v1-redactions for v1-v5, v6-redactions for
v6-v7, the v8 list, v9-redactions for v9-v10, v11-redactions for v11+)."""

from __future__ import annotations

from typing import Any

import pytest

from chancery.events.redaction import prune_event
from chancery.events.room_versions import ROOM_VERSIONS

VERSIONS = [str(n) for n in range(1, 13)]


def by_version(*steps: tuple[int, set[str]]) -> dict[str, set[str]]:
    """What each version keeps, given (first version, kept keys) steps in ascending order."""
    return {version: next(kept for since, kept in reversed(steps) if int(version) >= since) for version in VERSIONS}


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
# v1-v10 additionally keep prev_state, origin and membership; v11 drops them.
TOP_LEVEL_KEPT = by_version((1, COMMON_TOP | {"prev_state", "origin", "membership"}), (11, COMMON_TOP))


@pytest.mark.parametrize("version", VERSIONS)
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
        by_version(
            (1, {"membership"}),
            (9, {"membership", "join_authorised_via_users_server"}),  # v9: the restricted-join fix
            (11, {"membership", "join_authorised_via_users_server", "third_party_invite"}),
        ),
    ),
    ("m.room.create", CREATE_CONTENT, by_version((1, {"creator"}), (11, set(CREATE_CONTENT)))),
    (
        "m.room.join_rules",
        {"join_rule": "restricted", "allow": [{"type": "m.room_membership", "room_id": "!s:hs"}], "extra": 1},
        by_version((1, {"join_rule"}), (8, {"join_rule", "allow"})),
    ),
    ("m.room.power_levels", PL_CONTENT, by_version((1, PL_KEPT_V10), (11, PL_KEPT_V10 | {"invite"}))),
    (
        "m.room.history_visibility",
        {"history_visibility": "joined", "extra": 1},
        by_version((1, {"history_visibility"})),
    ),
    ("m.room.redaction", {"redacts": "$t", "reason": "spam"}, by_version((1, set()), (11, {"redacts"}))),
    ("m.room.message", {"msgtype": "m.text", "body": "hello"}, by_version((1, set()))),
    ("m.room.name", {"name": "Secret"}, by_version((1, set()))),
    ("m.room.topic", {"topic": "t"}, by_version((1, set()))),
    ("m.room.encryption", {"algorithm": "m.megolm.v1.aes-sha2"}, by_version((1, set()))),
    # v6 took all special meaning away from m.room.aliases.
    ("m.room.aliases", {"aliases": ["#a:hs"], "extra": 1}, by_version((1, {"aliases"}), (6, set()))),
]

CONTENT_CASES = [
    pytest.param(event_type, content, version, kept[version], id=f"v{version}-{event_type}")
    for event_type, content, kept in CONTENT_ROWS
    for version in VERSIONS
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


@pytest.mark.parametrize("version", VERSIONS)
def test_prune_does_not_modify_its_input(version: str) -> None:
    event = {**FULL_TOP_LEVEL, "type": "m.room.member", "content": dict(MEMBER_CONTENT)}
    before = {**event, "content": dict(event["content"])}
    prune_event(event, ROOM_VERSIONS[version])
    assert event == before


@pytest.mark.parametrize("version", VERSIONS)
def test_pruning_is_idempotent(version: str) -> None:
    event = {**FULL_TOP_LEVEL, "type": "m.room.power_levels", "content": dict(PL_CONTENT)}
    once = prune_event(event, ROOM_VERSIONS[version])
    assert prune_event(once, ROOM_VERSIONS[version]) == once


@pytest.mark.parametrize("version", VERSIONS)
def test_event_without_content_gets_empty_content(version: str) -> None:
    pruned = prune_event({"type": "m.room.message", "sender": "@u:hs"}, ROOM_VERSIONS[version])
    assert pruned["content"] == {}
