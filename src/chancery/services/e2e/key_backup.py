"""Server-side key backups (client-server API: server-side key backups).

Keys can be written only to the user's current (newest, not deleted) backup version. A stored session
key is replaced only by a better one: verified beats unverified, then a lower first_message_index,
then a lower forwarded_count. Every change moves the backup's etag.
"""

from __future__ import annotations

from typing import Any

from ...errors import MatrixError, bad_json, invalid_param, missing_param, not_found
from ...events.canonical import check_canonical_values
from ...numbers import parse_decimal
from ...storage import Storage
from ...storage.database import Connection
from ...storage.e2e_backup import BackedUpKey, BackupVersion
from ..accounts.requester import Requester
from ..audit import Actor, AuditLog
from .signing import require_id, require_object

MAX_SAFE = 2**53 - 1


def wrong_version(current: int) -> MatrixError:
    return MatrixError(403, "M_WRONG_ROOM_KEYS_VERSION", "Wrong backup version", current_version=str(current))


def unknown_version() -> MatrixError:
    return not_found("Unknown backup version")


def parse_version(raw: str | None) -> int | None:
    """A version string as we hand them out (a positive integer); None for anything else."""
    return None if raw is None else parse_decimal(raw, MAX_SAFE)


def is_better(new: BackedUpKey, old: BackedUpKey) -> bool:
    if new.is_verified != old.is_verified:
        return new.is_verified
    if new.first_message_index != old.first_message_index:
        return new.first_message_index < old.first_message_index
    return new.forwarded_count < old.forwarded_count


def parse_key(room_id: str, session_id: str, value: Any) -> BackedUpKey:
    data = require_object(value, f"session {session_id}")
    check_canonical_values(data, f"session {session_id}")
    first_index, forwarded, verified = (
        data.get("first_message_index"),
        data.get("forwarded_count"),
        data.get("is_verified"),
    )
    for name, number in (("first_message_index", first_index), ("forwarded_count", forwarded)):
        if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number <= MAX_SAFE:
            raise bad_json(f"{name} must be a non-negative integer")
    if not isinstance(verified, bool):
        raise bad_json("is_verified must be a boolean")
    session_data = require_object(data.get("session_data"), "session_data")
    assert isinstance(first_index, int) and isinstance(forwarded, int)
    return BackedUpKey(room_id, session_id, first_index, forwarded, verified, session_data)


class KeyBackupService:
    def __init__(self, storage: Storage, audit: AuditLog) -> None:
        self.storage = storage
        self.audit = audit

    # -- versions -----------------------------------------------------------------------------------

    async def create_version(self, requester: Requester, body: dict[str, Any]) -> dict[str, Any]:
        algorithm, auth_data = self._parse_version_body(body)
        async with self.storage.db.transaction() as txn:
            version = await self.storage.key_backup.create_version(txn, requester.user_id, algorithm, auth_data)
            await self._audit(txn, requester, "key_backup.create", version, algorithm)
        return {"version": str(version)}

    async def get_version(self, requester: Requester, raw_version: str | None) -> dict[str, Any]:
        """The given version, or the current one when `raw_version` is None."""
        store = self.storage.key_backup
        if raw_version is None:
            backup = await store.current_version(requester.user_id)
            if backup is None:
                raise not_found("No current backup version")
        else:
            backup = await self._existing(requester.user_id, raw_version)
        return {
            "algorithm": backup.algorithm,
            "auth_data": backup.auth_data,
            "count": await store.count(requester.user_id, backup.version),
            "etag": str(backup.etag),
            "version": str(backup.version),
        }

    async def update_version(self, requester: Requester, raw_version: str, body: dict[str, Any]) -> None:
        backup = await self._existing(requester.user_id, raw_version)
        algorithm, auth_data = self._parse_version_body(body)
        if "version" in body and body["version"] != raw_version:
            raise invalid_param("version does not match the path")
        if algorithm != backup.algorithm:
            raise invalid_param("Algorithm does not match")
        async with self.storage.db.transaction() as txn:
            await self.storage.key_backup.update_auth_data(txn, requester.user_id, backup.version, auth_data)
            await self._audit(txn, requester, "key_backup.update", backup.version, algorithm)

    async def delete_version(self, requester: Requester, raw_version: str) -> None:
        version = parse_version(raw_version)
        backup = None if version is None else await self.storage.key_backup.get_version(requester.user_id, version)
        if backup is None:
            raise unknown_version()
        if not backup.deleted:  # deleting twice succeeds, as the spec asks
            async with self.storage.db.transaction() as txn:
                await self.storage.key_backup.delete_version(txn, requester.user_id, backup.version)
                await self._audit(txn, requester, "key_backup.delete", backup.version, backup.algorithm)

    async def _audit(self, txn: Connection, requester: Requester, action: str, version: int, algorithm: str) -> None:
        details = {"version": str(version), "algorithm": algorithm}
        await self.audit.record(txn, Actor.of(requester), action, requester.user_id, details=details)

    @staticmethod
    def _parse_version_body(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        algorithm = body.get("algorithm")
        if algorithm is None:
            raise missing_param("Missing algorithm")
        require_id(algorithm, "algorithm")
        auth_data = body.get("auth_data")
        if auth_data is None:
            raise missing_param("Missing auth_data")
        auth_data = require_object(auth_data, "auth_data")
        check_canonical_values(auth_data, "auth_data")
        return str(algorithm), auth_data

    async def _existing(self, user_id: str, raw_version: str) -> BackupVersion:
        version = parse_version(raw_version)
        backup = None if version is None else await self.storage.key_backup.get_version(user_id, version)
        if backup is None or backup.deleted:
            raise unknown_version()
        return backup

    # -- keys ---------------------------------------------------------------------------------------

    async def put_keys(self, requester: Requester, raw_version: str | None, keys: list[BackedUpKey]) -> dict[str, Any]:
        """Store keys in the current backup, each only if better than the one already there."""
        user_id = requester.user_id
        if raw_version is None:
            raise missing_param("Missing version")
        store = self.storage.key_backup
        current = await store.current_version(user_id)
        if current is None:
            raise unknown_version()
        if parse_version(raw_version) != current.version:
            raise wrong_version(current.version)
        async with self.storage.db.transaction() as txn:
            locked = await store.lock_version(txn, user_id, current.version)
            if locked is None or locked.deleted:
                raise unknown_version()
            changed = False
            for key in keys:
                old = await store.get_key(user_id, current.version, key.room_id, key.session_id, txn)
                if old is None or is_better(key, old):
                    await store.put_key(txn, user_id, current.version, key)
                    changed = True
            if changed:
                await store.bump_etag(txn, user_id, current.version)
            return await self._summary(txn, user_id, current.version)

    async def get_keys(
        self, requester: Requester, raw_version: str | None, room_id: str | None = None, session_id: str | None = None
    ) -> list[BackedUpKey]:
        if raw_version is None:
            raise missing_param("Missing version")
        backup = await self._existing(requester.user_id, raw_version)
        return await self.storage.key_backup.keys(requester.user_id, backup.version, room_id, session_id)

    async def delete_keys(
        self, requester: Requester, raw_version: str | None, room_id: str | None = None, session_id: str | None = None
    ) -> dict[str, Any]:
        user_id = requester.user_id
        if raw_version is None:
            raise missing_param("Missing version")
        backup = await self._existing(user_id, raw_version)
        store = self.storage.key_backup
        async with self.storage.db.transaction() as txn:
            await store.lock_version(txn, user_id, backup.version)
            await store.delete_keys(txn, user_id, backup.version, room_id, session_id)
            await store.bump_etag(txn, user_id, backup.version)
            return await self._summary(txn, user_id, backup.version)

    async def _summary(self, txn: Any, user_id: str, version: int) -> dict[str, Any]:
        backup = await self.storage.key_backup.get_version(user_id, version, txn)
        count = await self.storage.key_backup.count(user_id, version, txn)
        return {"etag": str(backup.etag if backup else 0), "count": count}


def keys_from_body(body: dict[str, Any], room_id: str | None, session_id: str | None) -> list[BackedUpKey]:
    """The keys of a PUT body at any of its three levels: all rooms, one room, one session."""
    if room_id is not None and session_id is not None:
        return [parse_key(room_id, session_id, body)]
    if room_id is not None:
        sessions = require_object(body.get("sessions"), "sessions")
        return [parse_key(room_id, s, data) for s, data in sessions.items()]
    keys = []
    for room, room_body in require_object(body.get("rooms"), "rooms").items():
        sessions = require_object(require_object(room_body, room).get("sessions"), f"{room}.sessions")
        keys += [parse_key(room, s, data) for s, data in sessions.items()]
    return keys


def keys_to_body(keys: list[BackedUpKey]) -> dict[str, Any]:
    rooms: dict[str, Any] = {}
    for key in keys:
        rooms.setdefault(key.room_id, {"sessions": {}})["sessions"][key.session_id] = key.to_json()
    return {"rooms": rooms}
