"""Signed key objects built the way a real device does (ed25519 over canonical JSON), shared by the key tests
(no tests here; named test_keys_* to sit with them)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from canonicaljson import encode_canonical_json
from nacl.signing import SigningKey
from unpaddedbase64 import encode_base64

from tests.client import Api, C, User


def public_of(key: SigningKey) -> str:
    return encode_base64(key.verify_key.encode())


def sign(obj: dict[str, Any], user_id: str, key_id: str, key: SigningKey) -> dict[str, Any]:
    """Add `key`'s signature to `obj` (in place) and return it."""
    unsigned = {k: v for k, v in obj.items() if k not in ("signatures", "unsigned")}
    signature = encode_base64(key.sign(encode_canonical_json(unsigned)).signature)
    obj.setdefault("signatures", {}).setdefault(user_id, {})[key_id] = signature
    return obj


@dataclass
class Device:
    """One user's device with an ed25519 identity key, able to produce its uploads."""

    user: User
    key: SigningKey = field(default_factory=SigningKey.generate)
    curve25519: str = field(default_factory=lambda: encode_base64(secrets.token_bytes(32)))

    @property
    def key_id(self) -> str:
        return f"ed25519:{self.user.device_id}"

    def device_keys(self) -> dict[str, Any]:
        keys = {
            "user_id": self.user.user_id,
            "device_id": self.user.device_id,
            "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
            "keys": {
                self.key_id: public_of(self.key),
                f"curve25519:{self.user.device_id}": self.curve25519,
            },
        }
        return sign(keys, self.user.user_id, self.key_id, self.key)

    def one_time_keys(self, count: int, prefix: str = "k", fallback: bool = False) -> dict[str, Any]:
        keys = {}
        for n in range(count):
            key: dict[str, Any] = {"key": encode_base64(secrets.token_bytes(32))}
            if fallback:
                key["fallback"] = True
            keys[f"signed_curve25519:{prefix}{n}"] = sign(key, self.user.user_id, self.key_id, self.key)
        return keys

    async def upload(self, api: Api, **body: Any) -> Any:
        return await api.ok("POST", C + "/keys/upload", self.user, json=body)


@dataclass
class CrossSigning:
    """A user's three cross-signing keys."""

    user_id: str
    master: SigningKey = field(default_factory=SigningKey.generate)
    self_signing: SigningKey = field(default_factory=SigningKey.generate)
    user_signing: SigningKey = field(default_factory=SigningKey.generate)

    def key_object(self, usage: str) -> dict[str, Any]:
        key = {"master": self.master, "self_signing": self.self_signing, "user_signing": self.user_signing}[usage]
        obj: dict[str, Any] = {
            "user_id": self.user_id,
            "usage": [usage],
            "keys": {f"ed25519:{public_of(key)}": public_of(key)},
        }
        if usage != "master":
            sign(obj, self.user_id, self.master_id, self.master)
        return obj

    @property
    def master_id(self) -> str:
        return f"ed25519:{public_of(self.master)}"

    def upload_body(self) -> dict[str, Any]:
        return {
            "master_key": self.key_object("master"),
            "self_signing_key": self.key_object("self_signing"),
            "user_signing_key": self.key_object("user_signing"),
        }


async def sync_until(api: Api, user: User, since: str | None, check: Any, attempts: int = 10) -> dict[str, Any]:
    """Sync (long-polling) until `check(body)` holds; returns that body."""
    for _ in range(attempts):
        body: dict[str, Any] = await api.sync(user, since, timeout=1000)
        if check(body):
            return body
        since = body["next_batch"]
    raise AssertionError("the expected sync content never arrived")
