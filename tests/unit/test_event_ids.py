"""Event IDs, v12 room IDs and built events (spec: v4-event-ids fragment, server-server API reference hash)."""

from __future__ import annotations

import base64
import copy
import hashlib
import re
from typing import Any

import pytest
from signedjson.types import SigningKey

from chancery.events.builder import EventDraft, build_event, redacted_event_id
from chancery.events.canonical import canonical_json
from chancery.events.hashing import (
    compute_content_hash,
    compute_event_id,
    reference_hash,
    room_id_from_create_event_id,
)
from chancery.events.redaction import prune_event
from chancery.events.room_versions import ROOM_VERSIONS, RoomVersion
from chancery.events.signing import (
    new_signing_key,
    verify_key_base64,
    verify_key_from_base64,
    verify_signature,
)

SERVER = "hs.example"
ALICE = f"@alice:{SERVER}"
VERSIONS = ["10", "11", "12"]
URLSAFE_UNPADDED = re.compile(r"^[A-Za-z0-9_-]+$")


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return new_signing_key("auto1")


def _message(version: str) -> dict[str, Any]:
    return {
        "type": "m.room.message",
        "room_id": "!room:hs.example",
        "sender": ALICE,
        "content": {"msgtype": "m.text", "body": "hello"},
        "prev_events": ["$prev"],
        "auth_events": ["$auth"],
        "depth": 7,
        "origin_server_ts": 1_700_000_000_000,
        "hashes": {"sha256": "unused"},
        "signatures": {"hs.example": {"ed25519:x": "sig"}},
        "unsigned": {"age": 1},
    }


def _reference_hash_by_hand(event: dict[str, Any], version: RoomVersion) -> bytes:
    """The four steps of "Calculating the reference hash for an event", written out."""
    pruned = prune_event(event, version)
    pruned.pop("signatures", None)
    pruned.pop("unsigned", None)
    return hashlib.sha256(canonical_json(pruned)).digest()


@pytest.mark.parametrize("version", VERSIONS)
def test_event_id_is_dollar_and_urlsafe_unpadded_reference_hash(version: str) -> None:
    room_version = ROOM_VERSIONS[version]
    event = _message(version)
    event_id = compute_event_id(event, room_version)
    assert event_id.startswith("$")
    encoded = event_id[1:]
    assert URLSAFE_UNPADDED.match(encoded), "no padding, '+' or '/' in an event ID"
    assert len(encoded) == 43  # 32 bytes, unpadded
    expected = _reference_hash_by_hand(event, room_version)
    assert base64.urlsafe_b64decode(encoded + "=") == expected
    assert reference_hash(event, room_version) == expected


@pytest.mark.parametrize("version", VERSIONS)
def test_event_id_ignores_redactable_and_unsigned_parts(version: str) -> None:
    room_version = ROOM_VERSIONS[version]
    event = _message(version)
    other = copy.deepcopy(event)
    other["content"]["body"] = "changed"  # redacted away: the content hash is what protects it
    other["unsigned"] = {"age": 999}
    other["signatures"] = {}
    other["event_id"] = "$whatever"  # a stored event's own ID does not feed its hash
    assert compute_event_id(other, room_version) == compute_event_id(event, room_version)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("field", ["depth", "origin_server_ts", "prev_events", "hashes", "sender"])
def test_event_id_covers_essential_fields(version: str, field: str) -> None:
    room_version = ROOM_VERSIONS[version]
    event = _message(version)
    other = copy.deepcopy(event)
    other[field] = {"depth": 8, "origin_server_ts": 1, "prev_events": [], "hashes": {"sha256": "x"}}.get(
        field, "@mallory:hs.example"
    )
    assert compute_event_id(other, room_version) != compute_event_id(event, room_version)


def test_event_id_known_value_for_fixed_event() -> None:
    """A fixed event gives a fixed ID; a regression guard computed from the spec's steps with hashlib only."""
    event = {"type": "m.room.message", "room_id": "!r:domain", "sender": "@u:domain", "content": {"body": "x"}}
    canonical = b'{"content":{},"room_id":"!r:domain","sender":"@u:domain","type":"m.room.message"}'
    digest = hashlib.sha256(canonical).digest()
    expected = "$" + base64.urlsafe_b64encode(digest).decode().rstrip("=")
    for version in VERSIONS:
        assert compute_event_id(event, ROOM_VERSIONS[version]) == expected


def test_room_id_from_create_event_id() -> None:
    assert room_id_from_create_event_id("$abc-_DEF") == "!abc-_DEF"


def _build(key: SigningKey, version: str, draft: EventDraft, room_id: str | None) -> dict[str, Any]:
    return build_event(
        draft,
        version=ROOM_VERSIONS[version],
        room_id=room_id,
        prev_events=[],
        auth_events=[],
        depth=1,
        origin_server_ts=1_700_000_000_000,
        server_name=SERVER,
        signing_key=key,
    )


def test_v12_create_event_defines_room_id(key: SigningKey) -> None:
    draft = EventDraft("m.room.create", ALICE, {"room_version": "12"}, state_key="")
    event = _build(key, "12", draft, room_id=None)
    assert event["room_id"] == "!" + event["event_id"][1:]
    # The ID is computed over the event *without* room_id: recomputing must strip it again.
    without_room_id = {k: v for k, v in event.items() if k != "room_id"}
    assert compute_event_id(without_room_id, ROOM_VERSIONS["12"]) == event["event_id"]
    assert compute_event_id(event, ROOM_VERSIONS["12"]) != event["event_id"]


@pytest.mark.parametrize("version", ["10", "11"])
def test_pre_v12_create_event_needs_and_keeps_room_id(key: SigningKey, version: str) -> None:
    draft = EventDraft("m.room.create", ALICE, {"room_version": version, "creator": ALICE}, state_key="")
    event = _build(key, version, draft, room_id="!chosen:hs.example")
    assert event["room_id"] == "!chosen:hs.example"
    with pytest.raises(ValueError):
        _build(key, version, draft, room_id=None)


def test_v12_non_create_event_needs_room_id(key: SigningKey) -> None:
    with pytest.raises(ValueError):
        _build(key, "12", EventDraft("m.room.message", ALICE, {"body": "x"}), room_id=None)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    "draft",
    [
        pytest.param(EventDraft("m.room.message", ALICE, {"msgtype": "m.text", "body": "hi"}), id="message"),
        pytest.param(EventDraft("m.room.member", ALICE, {"membership": "join"}, state_key=ALICE), id="member"),
        pytest.param(EventDraft("m.room.redaction", ALICE, {"reason": "r"}, redacts="$target"), id="redaction"),
    ],
)
def test_built_event_verifies(key: SigningKey, version: str, draft: EventDraft) -> None:
    room_version = ROOM_VERSIONS[version]
    event = _build(key, version, draft, room_id="!room:hs.example")
    # Content hash covers the full event (minus unsigned/signatures/hashes, and the ID added afterwards).
    hashed = {k: v for k, v in event.items() if k != "event_id"}
    assert event["hashes"] == {"sha256": compute_content_hash(hashed)}
    # The signature is over the redacted event and verifies with the server's verify key.
    key_id = f"ed25519:{key.version}"
    verify_key = verify_key_from_base64(key_id, verify_key_base64(key))
    assert set(event["signatures"]) == {SERVER}
    assert set(event["signatures"][SERVER]) == {key_id}
    pruned = prune_event(hashed, room_version)
    assert verify_signature(pruned, SERVER, verify_key)
    # The event ID is the reference hash of what was built.
    assert event["event_id"] == compute_event_id(hashed, room_version)
    # Tampering with the signed part breaks verification.
    tampered = dict(pruned, origin_server_ts=pruned["origin_server_ts"] + 1)
    assert not verify_signature(tampered, SERVER, verify_key)
    other_key = new_signing_key("auto1")
    assert not verify_signature(pruned, SERVER, verify_key_from_base64(key_id, verify_key_base64(other_key)))


@pytest.mark.parametrize(("version", "top_level"), [("10", True), ("11", False), ("12", False)])
def test_redacts_placement(key: SigningKey, version: str, top_level: bool) -> None:
    """v11 event format moved `redacts` from the top level into content."""
    event = _build(key, version, EventDraft("m.room.redaction", ALICE, {}, redacts="$t"), room_id="!r:hs.example")
    assert ("redacts" in event) is top_level
    assert ("redacts" in event["content"]) is not top_level
    assert redacted_event_id(event) == "$t"
