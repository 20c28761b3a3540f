"""Known answers from the spec appendix "Cryptographic test vectors".

The event vectors predate room version 11: they are signed over the redaction algorithm of room versions
1-10 (which keeps `origin` and `event_id`), so they are checked against each of those versions. The
redactable event is a room version 1 event (its ID, `$0:domain`, is part of what is hashed and signed).
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import pytest
from signedjson.types import SigningKey

from chancery.events.hashing import add_content_hash, compute_content_hash, reference_hash, reference_hash_base64
from chancery.events.redaction import prune_event
from chancery.events.room_versions import ROOM_VERSIONS
from chancery.events.signing import (
    sign_event,
    sign_object,
    signing_key_from_text,
    verify_key_base64,
    verify_key_from_base64,
    verify_signature,
)

SIGNING_KEY_SEED = "YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1"
SERVER_NAME = "domain"
KEY_ID = "ed25519:1"
PRE_V11 = [str(n) for n in range(1, 11)]


@pytest.fixture
def key() -> SigningKey:
    return signing_key_from_text(f"ed25519 1 {SIGNING_KEY_SEED}")


def test_key_id_is_algorithm_and_version(key: SigningKey) -> None:
    assert f"{key.alg}:{key.version}" == KEY_ID


@pytest.mark.parametrize(
    ("unsigned_object", "expected"),
    [
        pytest.param(
            {},
            {
                "signatures": {
                    SERVER_NAME: {
                        KEY_ID: "K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ"
                    }
                }
            },
            id="empty-object",
        ),
        pytest.param(
            {"one": 1, "two": "Two"},
            {
                "one": 1,
                "signatures": {
                    SERVER_NAME: {
                        KEY_ID: "KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw"
                    }
                },
                "two": "Two",
            },
            id="object-with-values",
        ),
    ],
)
def test_json_signing_vectors(key: SigningKey, unsigned_object: dict[str, Any], expected: dict[str, Any]) -> None:
    signed = sign_object(copy.deepcopy(unsigned_object), SERVER_NAME, key)
    assert signed == expected
    verify_key = verify_key_from_base64(KEY_ID, verify_key_base64(key))
    assert verify_signature(signed, SERVER_NAME, verify_key)


def test_tampered_json_fails_verification(key: SigningKey) -> None:
    signed = sign_object({"one": 1, "two": "Two"}, SERVER_NAME, key)
    signed["two"] = "Three"
    verify_key = verify_key_from_base64(KEY_ID, verify_key_base64(key))
    assert not verify_signature(signed, SERVER_NAME, verify_key)


MINIMAL_EVENT: dict[str, Any] = {
    "room_id": "!x:domain",
    "sender": "@a:domain",
    "origin": "domain",
    "origin_server_ts": 1000000,
    "signatures": {},
    "hashes": {},
    "type": "X",
    "content": {},
    "prev_events": [],
    "auth_events": [],
    "depth": 3,
    "unsigned": {"age_ts": 1000000},
}
MINIMAL_EVENT_SIGNED: dict[str, Any] = {
    "auth_events": [],
    "content": {},
    "depth": 3,
    "hashes": {"sha256": "5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos"},
    "origin": "domain",
    "origin_server_ts": 1000000,
    "prev_events": [],
    "room_id": "!x:domain",
    "sender": "@a:domain",
    "signatures": {
        "domain": {
            "ed25519:1": "KxwGjPSDEtvnFgU00fwFz+l6d2pJM6XBIaMEn81SXPTRl16AqLAYqfIReFGZlHi5KLjAWbOoMszkwsQma+lYAg"
        }
    },
    "type": "X",
    "unsigned": {"age_ts": 1000000},
}
REDACTABLE_EVENT: dict[str, Any] = {
    "content": {"body": "Here is the message content"},
    "event_id": "$0:domain",
    "origin": "domain",
    "origin_server_ts": 1000000,
    "type": "m.room.message",
    "room_id": "!r:domain",
    "sender": "@u:domain",
    "signatures": {},
    "unsigned": {"age_ts": 1000000},
}
REDACTABLE_EVENT_SIGNED: dict[str, Any] = {
    "content": {"body": "Here is the message content"},
    "event_id": "$0:domain",
    "hashes": {"sha256": "onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g"},
    "origin": "domain",
    "origin_server_ts": 1000000,
    "type": "m.room.message",
    "room_id": "!r:domain",
    "sender": "@u:domain",
    "signatures": {
        "domain": {
            "ed25519:1": "Wm+VzmOUOz08Ds+0NTWb1d4CZrVsJSikkeRxh6aCcUwu6pNC78FunoD7KNWzqFn241eYHYMGCA5McEiVPdhzBA"
        }
    },
    "unsigned": {"age_ts": 1000000},
}

EVENT_VECTORS = [
    pytest.param(MINIMAL_EVENT, MINIMAL_EVENT_SIGNED, id="minimal-event"),
    pytest.param(REDACTABLE_EVENT, REDACTABLE_EVENT_SIGNED, id="redactable-event"),
]


@pytest.mark.parametrize(("event", "expected"), EVENT_VECTORS)
def test_content_hash_vectors(event: dict[str, Any], expected: dict[str, Any]) -> None:
    assert compute_content_hash(event) == expected["hashes"]["sha256"]


@pytest.mark.parametrize("version", PRE_V11)
@pytest.mark.parametrize(("event", "expected"), EVENT_VECTORS)
def test_event_signing_vectors(key: SigningKey, event: dict[str, Any], expected: dict[str, Any], version: str) -> None:
    signed = copy.deepcopy(event)
    add_content_hash(signed)
    sign_event(signed, SERVER_NAME, key, ROOM_VERSIONS[version])
    assert signed == expected


@pytest.mark.parametrize("version", PRE_V11)
@pytest.mark.parametrize(("event", "expected"), EVENT_VECTORS)
def test_signed_event_vectors_verify(
    key: SigningKey, event: dict[str, Any], expected: dict[str, Any], version: str
) -> None:
    """The signature covers the redacted event, so it still verifies after redaction-relevant pruning."""
    verify_key = verify_key_from_base64(KEY_ID, verify_key_base64(key))
    pruned = prune_event(copy.deepcopy(expected), ROOM_VERSIONS[version])
    assert verify_signature(pruned, SERVER_NAME, verify_key)
    pruned["origin_server_ts"] += 1
    assert not verify_signature(pruned, SERVER_NAME, verify_key)


# The redactable event as the appendix signs it is a room version 1 event (its ID, `$0:domain`, is part of it).
# Its reference hash, worked out from the spec's steps with hashlib: redact (content emptied, `unsigned`
# dropped), drop `signatures`, canonical JSON, sha256.
APPENDIX_V1_EVENT_REDACTED_CANONICAL = (
    b'{"content":{},"event_id":"$0:domain","hashes":{"sha256":"onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g"},'
    b'"origin":"domain","origin_server_ts":1000000,"room_id":"!r:domain","sender":"@u:domain",'
    b'"type":"m.room.message"}'
)


@pytest.mark.parametrize("version", PRE_V11)
def test_appendix_event_reference_hash(version: str) -> None:
    """v1-v10 share the top-level keys redaction keeps; the event ID counts only where it is part of the event."""
    digest = hashlib.sha256(APPENDIX_V1_EVENT_REDACTED_CANONICAL).digest()
    room_version = ROOM_VERSIONS[version]
    if version in ("1", "2"):
        assert reference_hash(REDACTABLE_EVENT_SIGNED, room_version) == digest
        expected = "oFAil2fHTGY66j9PIsC3hnc+/6r2SQGxCzd1/FUgtOE"
        assert reference_hash_base64(REDACTABLE_EVENT_SIGNED, room_version) == expected
    else:
        without_id = APPENDIX_V1_EVENT_REDACTED_CANONICAL.replace(b'"event_id":"$0:domain",', b"")
        assert reference_hash(REDACTABLE_EVENT_SIGNED, room_version) == hashlib.sha256(without_id).digest()
