"""Server-side key backups: versions with their auth data, and the encrypted session keys in each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from .database import Connection, Database


@dataclass(frozen=True)
class BackupVersion:
    version: int
    algorithm: str
    auth_data: dict[str, Any]
    etag: int
    deleted: bool


@dataclass(frozen=True)
class BackedUpKey:
    room_id: str
    session_id: str
    first_message_index: int
    forwarded_count: int
    is_verified: bool
    session_data: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "first_message_index": self.first_message_index,
            "forwarded_count": self.forwarded_count,
            "is_verified": self.is_verified,
            "session_data": self.session_data,
        }


def _version(row: Any) -> BackupVersion:
    return BackupVersion(int(row[0]), str(row[1]), dict(orjson.loads(row[2])), int(row[3]), bool(row[4]))


def _key(row: Any) -> BackedUpKey:
    return BackedUpKey(str(row[0]), str(row[1]), int(row[2]), int(row[3]), bool(row[4]), dict(orjson.loads(row[5])))


_VERSION_COLUMNS = "version, algorithm, auth_data, etag, deleted"
_KEY_COLUMNS = "room_id, session_id, first_message_index, forwarded_count, is_verified, session_data"


class KeyBackupStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create_version(self, txn: Connection, user_id: str, algorithm: str, auth_data: dict[str, Any]) -> int:
        # Versions are never reused, even after a deletion: clients cache them.
        latest = await txn.fetchval("SELECT MAX(version) FROM e2e_backup_versions WHERE user_id = ?", user_id)
        version = 1 if latest is None else int(latest) + 1
        await txn.execute(
            "INSERT INTO e2e_backup_versions (user_id, version, algorithm, auth_data, etag, deleted)"
            " VALUES (?, ?, ?, ?, 0, 0)",
            user_id,
            version,
            algorithm,
            orjson.dumps(auth_data).decode(),
        )
        return version

    async def current_version(self, user_id: str, conn: Connection | None = None) -> BackupVersion | None:
        row = await (conn or self.db).fetchone(
            f"SELECT {_VERSION_COLUMNS} FROM e2e_backup_versions WHERE user_id = ? AND deleted = 0"
            " ORDER BY version DESC LIMIT 1",
            user_id,
        )
        return None if row is None else _version(row)

    async def get_version(self, user_id: str, version: int, conn: Connection | None = None) -> BackupVersion | None:
        row = await (conn or self.db).fetchone(
            f"SELECT {_VERSION_COLUMNS} FROM e2e_backup_versions WHERE user_id = ? AND version = ?",
            user_id,
            version,
        )
        return None if row is None else _version(row)

    async def update_auth_data(self, txn: Connection, user_id: str, version: int, auth_data: dict[str, Any]) -> None:
        await txn.execute(
            "UPDATE e2e_backup_versions SET auth_data = ? WHERE user_id = ? AND version = ?",
            orjson.dumps(auth_data).decode(),
            user_id,
            version,
        )

    async def delete_version(self, txn: Connection, user_id: str, version: int) -> None:
        await txn.execute(
            "UPDATE e2e_backup_versions SET deleted = 1 WHERE user_id = ? AND version = ?", user_id, version
        )
        await txn.execute("DELETE FROM e2e_backup_keys WHERE user_id = ? AND version = ?", user_id, version)

    async def count(self, user_id: str, version: int, conn: Connection | None = None) -> int:
        return int(
            await (conn or self.db).fetchval(
                "SELECT COUNT(*) FROM e2e_backup_keys WHERE user_id = ? AND version = ?", user_id, version
            )
        )

    async def lock_version(self, txn: Connection, user_id: str, version: int) -> BackupVersion | None:
        """The version row, locked on PostgreSQL so concurrent uploads to one backup apply one at a time."""
        lock = " FOR UPDATE" if txn.dialect == "postgres" else ""
        row = await txn.fetchone(
            f"SELECT {_VERSION_COLUMNS} FROM e2e_backup_versions WHERE user_id = ? AND version = ?{lock}",
            user_id,
            version,
        )
        return None if row is None else _version(row)

    async def bump_etag(self, txn: Connection, user_id: str, version: int) -> None:
        await txn.execute(
            "UPDATE e2e_backup_versions SET etag = etag + 1 WHERE user_id = ? AND version = ?", user_id, version
        )

    async def get_key(
        self, user_id: str, version: int, room_id: str, session_id: str, conn: Connection | None = None
    ) -> BackedUpKey | None:
        row = await (conn or self.db).fetchone(
            f"SELECT {_KEY_COLUMNS} FROM e2e_backup_keys WHERE user_id = ? AND version = ? AND room_id = ?"
            " AND session_id = ?",
            user_id,
            version,
            room_id,
            session_id,
        )
        return None if row is None else _key(row)

    async def put_key(self, txn: Connection, user_id: str, version: int, key: BackedUpKey) -> None:
        await txn.execute(
            "INSERT INTO e2e_backup_keys (user_id, version, room_id, session_id, first_message_index,"
            " forwarded_count, is_verified, session_data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (user_id, version, room_id, session_id) DO UPDATE SET"
            " first_message_index = excluded.first_message_index, forwarded_count = excluded.forwarded_count,"
            " is_verified = excluded.is_verified, session_data = excluded.session_data",
            user_id,
            version,
            key.room_id,
            key.session_id,
            key.first_message_index,
            key.forwarded_count,
            int(key.is_verified),
            orjson.dumps(key.session_data).decode(),
        )

    async def keys(
        self, user_id: str, version: int, room_id: str | None = None, session_id: str | None = None
    ) -> list[BackedUpKey]:
        where, args = _scope(user_id, version, room_id, session_id)
        rows = await self.db.fetchall(
            f"SELECT {_KEY_COLUMNS} FROM e2e_backup_keys WHERE {where} ORDER BY room_id, session_id", *args
        )
        return [_key(r) for r in rows]

    async def delete_keys(
        self, txn: Connection, user_id: str, version: int, room_id: str | None = None, session_id: str | None = None
    ) -> None:
        where, args = _scope(user_id, version, room_id, session_id)
        await txn.execute(f"DELETE FROM e2e_backup_keys WHERE {where}", *args)


def _scope(user_id: str, version: int, room_id: str | None, session_id: str | None) -> tuple[str, list[Any]]:
    """The WHERE clause selecting a whole backup version, one room of it, or one session."""
    where = "user_id = ? AND version = ?"
    args: list[Any] = [user_id, version]
    if room_id is not None:
        where += " AND room_id = ?"
        args.append(room_id)
    if session_id is not None:
        where += " AND session_id = ?"
        args.append(session_id)
    return where, args
