"""Cross-signing keys and signatures (client-server API: cross-signing).

Uploading cross-signing keys needs user-interactive authentication, except for the first upload (no
master key yet) and for re-uploading exactly the keys already stored, as the spec allows. Uploaded
signatures are verified one by one; a bad one is reported in `failures` and the good ones are kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...errors import MatrixError, forbidden, invalid_param, missing_param, not_found
from ...storage import Storage
from ...storage.e2e import EVERYONE, MASTER, SELF_SIGNING, USER_SIGNING, CrossSigningKey
from ..accounts.requester import Requester
from ..accounts.uia import UiaService
from ..audit import Actor, AuditLog
from .device_lists import DeviceListService
from .signing import (
    invalid_signature,
    parse_cross_signing_key,
    require_object,
    signature_by,
    signed_part,
    verify_ed25519,
)

UPLOAD_FIELDS = (("master_key", MASTER), ("self_signing_key", SELF_SIGNING), ("user_signing_key", USER_SIGNING))


@dataclass(frozen=True)
class _NewSignature:
    target_user: str
    target_key: str
    signer_key_id: str
    signature: str
    observer: str  # EVERYONE, or the only user who may see it (a user-signing key's signature)


class CrossSigningService:
    def __init__(self, storage: Storage, uia: UiaService, device_lists: DeviceListService, audit: AuditLog) -> None:
        self.storage = storage
        self.audit = audit
        self.uia = uia
        self.device_lists = device_lists

    async def upload_keys(self, requester: Requester, body: dict[str, Any]) -> None:
        """POST /keys/device_signing/upload."""
        user_id = requester.user_id
        uploaded: dict[str, CrossSigningKey] = {}
        for field, key_type in UPLOAD_FIELDS:
            if body.get(field) is not None:
                public_key, obj = parse_cross_signing_key(body[field], user_id, key_type, field)
                uploaded[key_type] = CrossSigningKey(key_type, public_key, obj)
        existing = await self.storage.e2e_keys.cross_signing_keys(user_id)
        master = uploaded.get(MASTER) or existing.get(MASTER)
        if master is None:
            raise missing_param("No master key is available")
        for key_type in (SELF_SIGNING, USER_SIGNING):
            key = uploaded.get(key_type)
            if key is not None and not verify_ed25519(
                key.json, signature_by(key.json, user_id, f"ed25519:{master.public_key}"), master.public_key
            ):
                raise invalid_signature(f"The {key_type} key is not signed by the master key")
        devices = {d.device_id for d in await self.storage.users.list_devices(user_id)}
        if any(key.public_key in devices for key in uploaded.values()):
            raise forbidden("A cross-signing key has the same ID as one of your devices")
        new_keys = {
            t: k
            for t, k in uploaded.items()
            if t not in existing or existing[t].public_key != k.public_key or existing[t].json != k.json
        }
        if not new_keys:
            return  # a retried upload of the stored keys: idempotent, no re-authentication
        if MASTER in existing:
            await self.uia.authenticate(body, [["m.login.password"]], "device_signing", user_id)
        async with self.storage.db.transaction() as txn:
            details = {"keys": sorted(new_keys), "replaced": sorted(t for t in new_keys if t in existing)}
            await self.audit.record(txn, Actor.of(requester), "cross_signing.keys", user_id, details=details)
            for key in new_keys.values():
                await self.storage.e2e_keys.put_cross_signing_key(txn, user_id, key)
            pos = await self.device_lists.record_change(txn, [user_id])
        await self.device_lists.announce(pos, [user_id])

    async def upload_signatures(self, requester: Requester, body: dict[str, Any]) -> dict[str, Any]:
        """POST /keys/signatures/upload: each signature verified; failures per key, the rest stored."""
        failures: dict[str, dict[str, Any]] = {}
        accepted: list[_NewSignature] = []
        own = await self.storage.e2e_keys.cross_signing_keys(requester.user_id)
        for target_user, keys in body.items():
            for key_id, signed in require_object(keys, f"signatures for {target_user}").items():
                try:
                    accepted += await self._check(requester.user_id, own, target_user, key_id, signed)
                except MatrixError as exc:
                    failures.setdefault(target_user, {})[key_id] = {"errcode": exc.errcode, "error": exc.error}
        if accepted:
            async with self.storage.db.transaction() as txn:
                signed = sorted({f"{s.target_user}/{s.target_key}" for s in accepted})
                actor = Actor.of(requester)
                await self.audit.record(
                    txn, actor, "cross_signing.signatures", requester.user_id, details={"signed": signed}
                )
                for s in accepted:
                    await self.storage.e2e_keys.add_signature(
                        txn, s.target_user, s.target_key, requester.user_id, s.signer_key_id, s.signature
                    )
                changes = sorted({(s.observer, s.target_user) for s in accepted})
                positions = [(o, u, await self.device_lists.record_change(txn, [u], o)) for o, u in changes]
            for observer, target_user, pos in positions:
                await self.device_lists.announce(pos, [target_user], observer)
        return {"failures": failures}

    async def _check(
        self, signer: str, own: dict[str, CrossSigningKey], target_user: str, key_id: str, signed: Any
    ) -> list[_NewSignature]:
        signed = require_object(signed, key_id)
        if target_user == signer:
            devices = await self.storage.e2e_keys.device_keys(signer)
            if key_id in devices:
                return self._own_device(signer, own, key_id, devices[key_id], signed)
            master = own.get(MASTER)
            if master is not None and key_id == master.public_key:
                return self._own_master(signer, master, devices, signed)
            raise not_found(f"No device or master key {key_id} of yours")
        theirs = (await self.storage.e2e_keys.cross_signing_keys(target_user)).get(MASTER)
        if theirs is None or theirs.public_key != key_id:
            raise not_found(f"{key_id} is not the master key of {target_user}")
        user_signing = own.get(USER_SIGNING)
        if user_signing is None:
            raise invalid_param("You have no user-signing key")
        _require_same(signed, theirs.json)
        signer_key_id = f"ed25519:{user_signing.public_key}"
        signature = signature_by(signed, signer, signer_key_id)
        if not verify_ed25519(theirs.json, signature, user_signing.public_key):
            raise invalid_signature("Invalid signature by your user-signing key")
        # Only the signer may see signatures made by their user-signing key.
        return [_NewSignature(target_user, key_id, signer_key_id, signature, signer)]

    @staticmethod
    def _own_device(
        user_id: str, own: dict[str, CrossSigningKey], device_id: str, stored: dict[str, Any], signed: dict[str, Any]
    ) -> list[_NewSignature]:
        self_signing = own.get(SELF_SIGNING)
        if self_signing is None:
            raise invalid_param("You have no self-signing key")
        _require_same(signed, stored)
        signer_key_id = f"ed25519:{self_signing.public_key}"
        signature = signature_by(signed, user_id, signer_key_id)
        if not verify_ed25519(stored, signature, self_signing.public_key):
            raise invalid_signature("Invalid signature by your self-signing key")
        return [_NewSignature(user_id, device_id, signer_key_id, signature, EVERYONE)]

    @staticmethod
    def _own_master(
        user_id: str, master: CrossSigningKey, devices: dict[str, dict[str, Any]], signed: dict[str, Any]
    ) -> list[_NewSignature]:
        """Signatures of one's master key by one's own devices (migrating device verifications)."""
        _require_same(signed, master.json)
        accepted = []
        signatures = signed.get("signatures", {}).get(user_id, {})
        for signer_key_id, signature in signatures.items() if isinstance(signatures, dict) else ():
            device_id = signer_key_id.removeprefix("ed25519:")
            device = devices.get(device_id)
            if device is None or signer_key_id == f"ed25519:{master.public_key}":
                continue
            device_key = device.get("keys", {}).get(signer_key_id)
            if isinstance(device_key, str) and verify_ed25519(master.json, signature, device_key):
                accepted.append(_NewSignature(user_id, master.public_key, signer_key_id, signature, EVERYONE))
        if not accepted:
            raise invalid_signature("No valid signature by one of your devices")
        return accepted


def _require_same(signed: dict[str, Any], stored: dict[str, Any]) -> None:
    if signed_part(signed) != signed_part(stored):
        raise invalid_param("The signed object does not match the stored key")
