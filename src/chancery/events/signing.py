"""Signing JSON objects and events with the server's ed25519 key (appendix: signing JSON)."""

from __future__ import annotations

from typing import Any

from signedjson.key import (
    decode_signing_key_base64,
    decode_verify_key_bytes,
    encode_signing_key_base64,
    generate_signing_key,
    get_verify_key,
)
from signedjson.sign import SignatureVerifyException, sign_json, verify_signed_json
from signedjson.types import SigningKey, VerifyKey
from unpaddedbase64 import decode_base64, encode_base64

from .redaction import prune_event
from .room_versions import RoomVersion


def new_signing_key(version: str) -> SigningKey:
    return generate_signing_key(version)


def signing_key_to_text(key: SigningKey) -> str:
    return f"ed25519 {key.version} {encode_signing_key_base64(key)}"


def signing_key_from_text(text: str) -> SigningKey:
    algorithm, version, encoded = text.split()
    if algorithm != "ed25519":
        raise ValueError(f"unsupported signing key algorithm {algorithm}")
    return decode_signing_key_base64(algorithm, version, encoded)


def verify_key_base64(key: SigningKey) -> str:
    return encode_base64(get_verify_key(key).encode())


def verify_key_from_base64(key_id: str, encoded: str) -> VerifyKey:
    algorithm, _, version = key_id.partition(":")
    return decode_verify_key_bytes(f"{algorithm}:{version}", decode_base64(encoded))


def sign_object(obj: dict[str, Any], signer: str, key: SigningKey) -> dict[str, Any]:
    """Add a signature from `signer` to `obj` (in place, returned for convenience)."""
    return dict(sign_json(obj, signer, key))


def sign_event(event: dict[str, Any], server_name: str, key: SigningKey, version: RoomVersion) -> None:
    """Sign the redacted form of the event and store the signature on the full event."""
    pruned = prune_event(event, version)
    pruned.pop("unsigned", None)
    signed = sign_json(pruned, server_name, key)
    event["signatures"] = signed["signatures"]


def verify_signature(obj: dict[str, Any], signer: str, key: VerifyKey) -> bool:
    try:
        verify_signed_json(obj, signer, key)
    except SignatureVerifyException:
        return False
    return True
