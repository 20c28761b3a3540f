"""Event IDs, v12 room IDs and built events (spec: rooms v1 and v3 event IDs, v4-event-ids fragment,
server-server API reference hash)."""

from __future__ import annotations

import base64
import copy
import hashlib
import re
from typing import Any

import pytest
from signedjson.types import SigningKey

from chancery.events.builder import EventDraft, build_event, redacted_event_id, referenced_event_ids
from chancery.events.canonical import canonical_json
from chancery.events.hashing import (
    compute_content_hash,
    compute_event_id,
    reference_hash,
    reference_hash_base64,
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
VERSIONS = [str(n) for n in range(1, 13)]
HASHED_ID_VERSIONS = VERSIONS[2:]  # v3+: the event ID is the reference hash
URL_SAFE_VERSIONS = VERSIONS[3:]  # v4+: in URL-safe base64
URLSAFE_UNPADDED = re.compile(r"^[A-Za-z0-9_-]+$")
STANDARD_UNPADDED = re.compile(r"^[A-Za-z0-9+/]+$")


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


@pytest.mark.parametrize("version", URL_SAFE_VERSIONS)
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


def test_v3_event_id_is_dollar_and_standard_unpadded_reference_hash() -> None:
    """Room version 3 used standard base64 (with `+` and `/`); v4 switched to URL-safe."""
    event = _message("3")
    event_id = compute_event_id(event, ROOM_VERSIONS["3"])
    assert event_id.startswith("$")
    encoded = event_id[1:]
    assert STANDARD_UNPADDED.match(encoded) and len(encoded) == 43
    assert base64.b64decode(encoded + "=") == _reference_hash_by_hand(event, ROOM_VERSIONS["3"])
    assert event_id[1:].replace("+", "-").replace("/", "_") == compute_event_id(event, ROOM_VERSIONS["4"])[1:]


@pytest.mark.parametrize("version", ["1", "2"])
def test_v1_event_ids_are_not_computed(version: str) -> None:
    with pytest.raises(ValueError):
        compute_event_id(_message(version), ROOM_VERSIONS[version])


@pytest.mark.parametrize("version", HASHED_ID_VERSIONS)
def test_event_id_ignores_redactable_and_unsigned_parts(version: str) -> None:
    room_version = ROOM_VERSIONS[version]
    event = _message(version)
    other = copy.deepcopy(event)
    other["content"]["body"] = "changed"  # redacted away: the content hash is what protects it
    other["unsigned"] = {"age": 999}
    other["signatures"] = {}
    other["event_id"] = "$whatever"  # a stored event's own ID does not feed its hash
    assert compute_event_id(other, room_version) == compute_event_id(event, room_version)


@pytest.mark.parametrize("version", ["1", "2"])
def test_v1_reference_hash_covers_the_event_id(version: str) -> None:
    """In v1 and v2 the ID is part of the event: its reference hash covers it (it survives redaction)."""
    room_version = ROOM_VERSIONS[version]
    event = {**_message(version), "event_id": "$abc:hs.example"}
    other = {**event, "event_id": "$abd:hs.example"}
    assert reference_hash(event, room_version) != reference_hash(other, room_version)
    assert reference_hash(event, room_version) == _reference_hash_by_hand(event, room_version)
    assert reference_hash_base64(event, room_version) == base64.b64encode(
        reference_hash(event, room_version)
    ).decode().rstrip("=")


@pytest.mark.parametrize("version", HASHED_ID_VERSIONS)
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
    url_safe = "$" + base64.urlsafe_b64encode(digest).decode().rstrip("=")
    for version in URL_SAFE_VERSIONS:
        assert compute_event_id(event, ROOM_VERSIONS[version]) == url_safe
    assert compute_event_id(event, ROOM_VERSIONS["3"]) == "$" + base64.b64encode(digest).decode().rstrip("=")


def test_room_id_from_create_event_id() -> None:
    assert room_id_from_create_event_id("$abc-_DEF") == "!abc-_DEF"


PREV = f"$prev:{SERVER}"
AUTH = f"$auth:{SERVER}"
HASHES = {PREV: "cHJldmlvdXMgZXZlbnQgaGFzaA", AUTH: "YXV0aCBldmVudCBoYXNo"}


def _build(key: SigningKey, version: str, draft: EventDraft, room_id: str | None) -> dict[str, Any]:
    """Build with one previous and one auth event; v1/v2 also get the server's event ID and their hashes."""
    server_assigned = version in ("1", "2")
    return build_event(
        draft,
        version=ROOM_VERSIONS[version],
        room_id=room_id,
        prev_events=[PREV],
        auth_events=[AUTH],
        depth=1,
        origin_server_ts=1_700_000_000_000,
        server_name=SERVER,
        signing_key=key,
        event_id=f"$chosen:{SERVER}" if server_assigned else None,
        reference_hashes=HASHES if server_assigned else None,
    )


def test_v12_create_event_defines_room_id(key: SigningKey) -> None:
    draft = EventDraft("m.room.create", ALICE, {"room_version": "12"}, state_key="")
    event = _build(key, "12", draft, room_id=None)
    assert event["room_id"] == "!" + event["event_id"][1:]
    # The ID is computed over the event *without* room_id: recomputing must strip it again.
    without_room_id = {k: v for k, v in event.items() if k != "room_id"}
    assert compute_event_id(without_room_id, ROOM_VERSIONS["12"]) == event["event_id"]
    assert compute_event_id(event, ROOM_VERSIONS["12"]) != event["event_id"]


@pytest.mark.parametrize("version", VERSIONS[:11])
def test_pre_v12_create_event_needs_and_keeps_room_id(key: SigningKey, version: str) -> None:
    draft = EventDraft("m.room.create", ALICE, {"room_version": version, "creator": ALICE}, state_key="")
    event = _build(key, version, draft, room_id="!chosen:hs.example")
    assert event["room_id"] == "!chosen:hs.example"
    with pytest.raises(ValueError):
        _build(key, version, draft, room_id=None)


def test_v12_non_create_event_needs_room_id(key: SigningKey) -> None:
    with pytest.raises(ValueError):
        _build(key, "12", EventDraft("m.room.message", ALICE, {"body": "x"}), room_id=None)


@pytest.mark.parametrize("version", ["1", "2"])
def test_v1_event_format(key: SigningKey, version: str) -> None:
    """v1/v2: the server's event ID is in the event; prev/auth events are [event ID, {"sha256": hash}] pairs."""
    event = _build(key, version, EventDraft("m.room.message", ALICE, {"body": "x"}), room_id="!r:hs.example")
    assert event["event_id"] == f"$chosen:{SERVER}"
    assert event["prev_events"] == [[PREV, {"sha256": HASHES[PREV]}]]
    assert event["auth_events"] == [[AUTH, {"sha256": HASHES[AUTH]}]]
    assert referenced_event_ids(event["prev_events"]) == [PREV]
    assert referenced_event_ids(event["auth_events"]) == [AUTH]
    draft = EventDraft("m.room.message", ALICE, {})
    common = {"room_id": "!r:hs.example", "depth": 1, "origin_server_ts": 1, "server_name": SERVER, "signing_key": key}
    with pytest.raises(ValueError):  # the server must choose the ID
        build_event(draft, version=ROOM_VERSIONS[version], prev_events=[], auth_events=[], **common)  # type: ignore[arg-type]
    with pytest.raises(KeyError):  # every cited event needs its hash
        build_event(
            draft,
            version=ROOM_VERSIONS[version],
            prev_events=["$unknown:hs"],
            auth_events=[],
            event_id="$e:hs",
            reference_hashes={},
            **common,  # type: ignore[arg-type]
        )


@pytest.mark.parametrize("version", HASHED_ID_VERSIONS)
def test_later_event_format_cites_plain_ids(key: SigningKey, version: str) -> None:
    event = _build(key, version, EventDraft("m.room.message", ALICE, {"body": "x"}), room_id="!r:hs.example")
    assert event["prev_events"] == [PREV] and event["auth_events"] == [AUTH]
    assert referenced_event_ids(event["prev_events"]) == [PREV]


def test_referenced_event_ids_skips_malformed_entries() -> None:
    assert referenced_event_ids(None) == []
    assert referenced_event_ids([[], 5, ["$a", {}], "$b", [7, {}]]) == ["$a", "$b"]


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
    # The content hash covers the full event (minus unsigned/signatures/hashes); from v3 the ID is added
    # afterwards and is not covered, in v1/v2 it is part of the event and is.
    hashed = event if version in ("1", "2") else {k: v for k, v in event.items() if k != "event_id"}
    assert event["hashes"] == {"sha256": compute_content_hash(hashed)}
    # The signature is over the redacted event and verifies with the server's verify key.
    key_id = f"ed25519:{key.version}"
    verify_key = verify_key_from_base64(key_id, verify_key_base64(key))
    assert set(event["signatures"]) == {SERVER}
    assert set(event["signatures"][SERVER]) == {key_id}
    pruned = prune_event(hashed, room_version)
    assert verify_signature(pruned, SERVER, verify_key)
    if version not in ("1", "2"):
        # The event ID is the reference hash of what was built.
        assert event["event_id"] == compute_event_id(hashed, room_version)
    else:
        # The chosen ID is signed: changing it breaks the signature.
        assert not verify_signature(dict(pruned, event_id="$other:hs.example"), SERVER, verify_key)
    # Tampering with the signed part breaks verification.
    tampered = dict(pruned, origin_server_ts=pruned["origin_server_ts"] + 1)
    assert not verify_signature(tampered, SERVER, verify_key)
    other_key = new_signing_key("auto1")
    assert not verify_signature(pruned, SERVER, verify_key_from_base64(key_id, verify_key_base64(other_key)))


@pytest.mark.parametrize("version", VERSIONS)
def test_redacts_placement(key: SigningKey, version: str) -> None:
    """v11 event format moved `redacts` from the top level into content."""
    top_level = int(version) <= 10
    event = _build(key, version, EventDraft("m.room.redaction", ALICE, {}, redacts="$t"), room_id="!r:hs.example")
    assert ("redacts" in event) is top_level
    assert ("redacts" in event["content"]) is not top_level
    assert redacted_event_id(event) == "$t"
