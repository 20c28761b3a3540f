"""Checking the signed JSON objects clients upload for end-to-end encryption (appendix: signing JSON).

Pure functions: parse key objects into Matrix errors, verify ed25519 signatures over canonical JSON.
"""

from __future__ import annotations

import binascii
from typing import Any

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey
from unpaddedbase64 import decode_base64

from ...errors import MatrixError, bad_json, invalid_param
from ...events.canonical import canonical_json, check_canonical_values

MAX_ID_LENGTH = 255


def invalid_signature(error: str) -> MatrixError:
    return MatrixError(400, "M_INVALID_SIGNATURE", error)


def signed_part(obj: dict[str, Any]) -> dict[str, Any]:
    """What a signature covers: everything but `signatures` and `unsigned`."""
    return {k: v for k, v in obj.items() if k not in ("signatures", "unsigned")}


def verify_ed25519(obj: dict[str, Any], signature: Any, public_key: str) -> bool:
    """True when `signature` (unpadded base64) is `public_key`'s signature of the object's signed part."""
    if not isinstance(signature, str):
        return False
    try:
        VerifyKey(decode_base64(public_key)).verify(canonical_json(signed_part(obj)), decode_base64(signature))
    except (BadSignatureError, ValueError, TypeError, binascii.Error):
        return False
    return True


def signature_by(obj: dict[str, Any], user_id: str, key_id: str) -> Any:
    signatures = obj.get("signatures")
    if not isinstance(signatures, dict):
        return None
    by_user = signatures.get(user_id)
    return by_user.get(key_id) if isinstance(by_user, dict) else None


def require_object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_json(f"{where} must be an object")
    return value


def require_id(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_ID_LENGTH:
        raise invalid_param(f"{where} must be a non-empty string of at most {MAX_ID_LENGTH} characters")
    return value


def check_signatures_shape(obj: dict[str, Any], where: str) -> None:
    signatures = obj.get("signatures", {})
    if not isinstance(signatures, dict) or not all(
        isinstance(by_user, dict) and all(isinstance(s, str) for s in by_user.values())
        for by_user in signatures.values()
    ):
        raise bad_json(f"{where}.signatures must map user IDs to key IDs to signatures")


def parse_device_keys(value: Any, user_id: str, device_id: str) -> dict[str, Any]:
    """Validate uploaded device keys: ours, well formed, and signed by the device's own ed25519 key."""
    keys = require_object(value, "device_keys")
    check_canonical_values(keys, "device_keys")
    if keys.get("user_id") != user_id or keys.get("device_id") != device_id:
        raise invalid_param("device_keys.user_id and device_id must be those of the uploading device")
    algorithms = keys.get("algorithms")
    if not isinstance(algorithms, list) or not all(isinstance(a, str) for a in algorithms):
        raise bad_json("device_keys.algorithms must be a list of strings")
    key_map = keys.get("keys")
    if not isinstance(key_map, dict) or not all(isinstance(k, str) for k in key_map.values()):
        raise bad_json("device_keys.keys must map key IDs to keys")
    check_signatures_shape(keys, "device_keys")
    ed25519 = key_map.get(f"ed25519:{device_id}")
    if not isinstance(ed25519, str):
        raise invalid_param(f"device_keys.keys must include ed25519:{device_id}")
    if not verify_ed25519(keys, signature_by(keys, user_id, f"ed25519:{device_id}"), ed25519):
        raise invalid_signature("device_keys are not signed by the device's ed25519 key")
    return keys


def parse_cross_signing_key(value: Any, user_id: str, usage: str, where: str) -> tuple[str, dict[str, Any]]:
    """Validate a cross-signing key object; return its public key and the object."""
    key = require_object(value, where)
    check_canonical_values(key, where)
    if key.get("user_id") != user_id:
        raise invalid_param(f"{where}.user_id must be your user ID")
    usages = key.get("usage")
    if not isinstance(usages, list) or usage not in usages or not all(isinstance(u, str) for u in usages):
        raise invalid_param(f"{where}.usage must include {usage}")
    key_map = key.get("keys")
    if not isinstance(key_map, dict) or len(key_map) != 1:
        raise invalid_param(f"{where}.keys must hold exactly one key")
    ((key_id, public_key),) = key_map.items()
    if not isinstance(public_key, str) or key_id != f"ed25519:{public_key}":
        raise invalid_param(f"{where}.keys must be of the form ed25519:<public key>: <public key>")
    try:
        if len(decode_base64(public_key)) != 32:
            raise invalid_param(f"{where} is not an ed25519 public key")
    except (ValueError, binascii.Error) as exc:
        raise invalid_param(f"{where} is not an ed25519 public key") from exc
    check_signatures_shape(key, where)
    return public_key, key


def split_key_id(full_id: Any, where: str) -> tuple[str, str]:
    """`<algorithm>:<key_id>` -> (algorithm, key_id)."""
    if not isinstance(full_id, str) or len(full_id) > MAX_ID_LENGTH:
        raise invalid_param(f"{where}: key IDs must be strings")
    algorithm, sep, key_id = full_id.partition(":")
    if not sep or not algorithm or not key_id:
        raise invalid_param(f"{where}: key ID {full_id!r} is not of the form <algorithm>:<key_id>")
    return algorithm, key_id
