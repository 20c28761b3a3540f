"""Device keys, one-time and fallback keys: upload, query and claim (client-server API: key management).

Every one-time key is handed out at most once, also under concurrent claims across processes: the store
removes it with DELETE ... RETURNING. When a device has none left, its fallback key is returned and
marked used, so the device learns through /sync to upload a new one.
"""

from __future__ import annotations

from typing import Any

from ...errors import bad_json, invalid_param
from ...events.canonical import check_canonical_values
from ...lru import Lru
from ...storage import Storage
from ...storage.database import Connection
from ...storage.e2e import MASTER, SELF_SIGNING, USER_SIGNING, StoredSignature
from ...storage.stream import next_position
from ..accounts.requester import Requester
from ..notifier import Change, Notifier, user_key
from ..sync.service import SyncRequest
from .device_lists import DeviceListService
from .signing import parse_device_keys, require_id, require_object, signed_part, split_key_id

OLM_ONE_TIME_ALGORITHM = "signed_curve25519"
MAX_QUERY_USERS = 1000
MAX_CLAIMS = 1000
_MAX_COUNTS_REMEMBERED = 100_000


class E2eKeyService:
    def __init__(self, storage: Storage, device_lists: DeviceListService, notifier: Notifier) -> None:
        self.storage = storage
        self.device_lists = device_lists
        self.notifier = notifier
        # (user, device) -> (position, one-time key counts, unused fallback algorithms): reused by /sync while
        # no upload, claim or device deletion of that user (each takes a stream position) happened since.
        self._counts: Lru[tuple[str, str], tuple[int, dict[str, int], list[str]]] = Lru(_MAX_COUNTS_REMEMBERED)

    # -- upload -------------------------------------------------------------------------------------

    async def upload(self, requester: Requester, body: dict[str, Any]) -> dict[str, Any]:
        """POST /keys/upload: device keys (self-signed), one-time keys and fallback keys of this device."""
        user_id, device_id = requester.user_id, requester.device_id
        device_keys = None
        if body.get("device_keys") is not None:
            device_keys = parse_device_keys(body["device_keys"], user_id, device_id)
        one_time = self._parse_key_map(body.get("one_time_keys"), "one_time_keys")
        fallback = self._parse_key_map(body.get("fallback_keys"), "fallback_keys")
        if len({algorithm for algorithm, _, _ in fallback}) != len(fallback):
            raise invalid_param("fallback_keys may hold at most one key per algorithm")
        store = self.storage.e2e_keys
        changed_pos = None
        async with self.storage.db.transaction() as txn:
            if device_keys is not None:
                current = (await store.device_keys(user_id, txn)).get(device_id)
                if current is None or signed_part(current) != signed_part(device_keys):
                    await store.put_device_keys(txn, user_id, device_id, device_keys)
                    changed_pos = await self.device_lists.record_change(txn, [user_id])
                elif current != device_keys:
                    await store.put_device_keys(txn, user_id, device_id, device_keys)
            if one_time:
                existing = await store.one_time_keys_by_id(txn, user_id, device_id, [(a, k) for a, k, _ in one_time])
                for algorithm, key_id, key in one_time:
                    if (algorithm, key_id) in existing and existing[(algorithm, key_id)] != key:
                        raise invalid_param(f"One-time key {algorithm}:{key_id} already exists with other content")
                await store.add_one_time_keys(
                    txn, user_id, device_id, [(a, k, v) for a, k, v in one_time if (a, k) not in existing]
                )
            for algorithm, key_id, key in fallback:
                current_fallback = await store.fallback_key(txn, user_id, device_id, algorithm)
                # Re-uploading the same key must not make a used key look fresh again.
                if current_fallback is None or current_fallback[:2] != (key_id, key):
                    await store.put_fallback_key(txn, user_id, device_id, algorithm, key_id, key)
            counts = await store.one_time_key_counts(user_id, device_id, txn)
            keys_pos = await next_position(txn) if one_time or fallback else None
        if keys_pos is not None:
            await self.notifier.notify(keys_pos, [user_key(user_id, Change.KEYS)])
        if changed_pos is not None:
            await self.device_lists.announce(changed_pos, [user_id])
        return {"one_time_key_counts": {OLM_ONE_TIME_ALGORITHM: 0, **counts}}

    @staticmethod
    def _parse_key_map(value: Any, where: str) -> list[tuple[str, str, Any]]:
        if value is None:
            return []
        keys = require_object(value, where)
        check_canonical_values(keys, where)
        parsed = []
        for full_id, key in keys.items():
            algorithm, key_id = split_key_id(full_id, where)
            if not isinstance(key, (str, dict)):
                raise bad_json(f"{where}.{full_id} must be a string or an object")
            parsed.append((algorithm, key_id, key))
        return parsed

    # -- query --------------------------------------------------------------------------------------

    async def query(self, requester: Requester, body: dict[str, Any]) -> dict[str, Any]:
        """POST /keys/query: devices and cross-signing keys, with the signatures the requester may see."""
        wanted = require_object(body.get("device_keys"), "device_keys")
        if len(wanted) > MAX_QUERY_USERS:
            raise invalid_param(f"At most {MAX_QUERY_USERS} users per query")
        result: dict[str, Any] = {
            "device_keys": {},
            "master_keys": {},
            "self_signing_keys": {},
            "user_signing_keys": {},
            "failures": {},
        }
        for user_id, device_ids in wanted.items():
            require_id(user_id, "device_keys user ID")
            if not isinstance(device_ids, list) or not all(isinstance(d, str) for d in device_ids):
                raise bad_json("device_keys must map user IDs to lists of device IDs")
            await self._query_user(requester.user_id, user_id, set(device_ids), result)
        return result

    async def _query_user(self, requester_id: str, user_id: str, device_ids: set[str], out: dict[str, Any]) -> None:
        store = self.storage.e2e_keys
        devices = await store.device_keys(user_id)
        if device_ids:
            devices = {d: keys for d, keys in devices.items() if d in device_ids}
        cross_signing = await store.cross_signing_keys(user_id)
        if not devices and not cross_signing and not await self.storage.users.user_exists(user_id):
            return
        visible = [
            s for s in await store.signatures_on(user_id) if s.signer_user in (requester_id, user_id)
        ]  # signatures by other users' user-signing keys stay private to those users
        names = await store.device_display_names(user_id) if devices else {}
        device_out: dict[str, Any] = {}
        for device_id, keys in devices.items():
            entry = _with_signatures(keys, device_id, visible)
            entry["unsigned"] = {"device_display_name": names.get(device_id)} if names.get(device_id) else {}
            device_out[device_id] = entry
        out["device_keys"][user_id] = device_out
        for key_type, field in (
            (MASTER, "master_keys"),
            (SELF_SIGNING, "self_signing_keys"),
            (USER_SIGNING, "user_signing_keys"),
        ):
            key = cross_signing.get(key_type)
            if key is None or (key_type == USER_SIGNING and user_id != requester_id):
                continue
            out[field][user_id] = _with_signatures(key.json, key.public_key, visible)

    # -- claim --------------------------------------------------------------------------------------

    async def claim(self, requester: Requester, body: dict[str, Any]) -> dict[str, Any]:
        """POST /keys/claim: one one-time key per requested device, else its fallback key."""
        wanted = require_object(body.get("one_time_keys"), "one_time_keys")
        requests: list[tuple[str, str, str]] = []
        for user_id, devices in wanted.items():
            require_id(user_id, "one_time_keys user ID")
            for device_id, algorithm in require_object(devices, f"one_time_keys.{user_id}").items():
                if not isinstance(algorithm, str):
                    raise bad_json("one_time_keys must map user IDs to device IDs to algorithms")
                requests.append((user_id, device_id, algorithm))
        if len(requests) > MAX_CLAIMS:
            raise invalid_param(f"At most {MAX_CLAIMS} keys per claim")
        claimed: dict[str, dict[str, dict[str, Any]]] = {}
        store = self.storage.e2e_keys
        async with self.storage.db.transaction() as txn:
            for user_id, device_id, algorithm in requests:
                found = await store.claim_one_time_key(txn, user_id, device_id, algorithm)
                if found is None:
                    found = await store.claim_fallback_key(txn, user_id, device_id, algorithm)
                if found is not None:
                    key_id, key = found
                    claimed.setdefault(user_id, {}).setdefault(device_id, {})[f"{algorithm}:{key_id}"] = key
            keys_pos = await next_position(txn) if claimed else None
        if keys_pos is not None:
            await self.notifier.notify(keys_pos, [user_key(user_id, Change.KEYS) for user_id in claimed])
        return {"one_time_keys": claimed, "failures": {}}

    # -- /sync --------------------------------------------------------------------------------------

    async def sync_extension(self, request: SyncRequest, body: dict[str, Any]) -> bool:
        """`device_one_time_keys_count` and `device_unused_fallback_key_types`, on every sync."""
        user_id, device_id = request.requester.user_id, request.requester.device_id
        device = (user_id, device_id)
        known = self._counts.get(device)
        upto = request.upto
        if known is not None and known[0] <= upto and request.own_unchanged(Change.KEYS, Change.TOKENS, after=known[0]):
            _, counts, fallback = known
        else:
            counts, fallback = await self.storage.e2e_keys.key_counts(user_id, device_id)
            if request.knows_changes(upto):
                self._counts.put(device, (upto, counts, fallback))
        body["device_one_time_keys_count"] = {OLM_ONE_TIME_ALGORITHM: 0, **counts}
        body["device_unused_fallback_key_types"] = fallback
        return False  # counts alone are no reason to end a long-poll

    async def delete_device_keys(self, txn: Connection, user_id: str, device_ids: list[str]) -> None:
        """Device-deletion hook: the device's keys and signatures on them go with it."""
        await self.storage.e2e_keys.delete_device_keys(txn, user_id, device_ids)


def _with_signatures(obj: dict[str, Any], target_key: str, signatures: list[StoredSignature]) -> dict[str, Any]:
    """A copy of a key object with the stored extra signatures on it merged in."""
    merged = {k: v for k, v in obj.items() if k != "unsigned"}
    all_signatures = {user: dict(keys) for user, keys in obj.get("signatures", {}).items()}
    for s in signatures:
        if s.target_key == target_key:
            all_signatures.setdefault(s.signer_user, {})[s.signer_key_id] = s.signature
    if all_signatures:
        merged["signatures"] = all_signatures
    return merged
