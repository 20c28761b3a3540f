"""End-to-end encryption keys: device keys, one-time and fallback keys, cross-signing keys, signatures,
and the stream of device-list changes (client-server API: end-to-end encryption)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from .database import Connection, Database, fetch_in
from .stream import next_position

MASTER = "master"
SELF_SIGNING = "self_signing"
USER_SIGNING = "user_signing"
EVERYONE = ""  # observer of a device-list change that everyone sharing a room sees


@dataclass(frozen=True)
class CrossSigningKey:
    key_type: str
    public_key: str
    json: dict[str, Any]


@dataclass(frozen=True)
class StoredSignature:
    target_key: str
    signer_user: str
    signer_key_id: str
    signature: str


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


class E2eKeyStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- device keys --------------------------------------------------------------------------------

    async def device_keys(self, user_id: str, conn: Connection | None = None) -> dict[str, dict[str, Any]]:
        """device_id -> device keys as uploaded, for every device of the user that has keys."""
        rows = await (conn or self.db).fetchall(
            "SELECT k.device_id, k.json FROM e2e_device_keys k JOIN devices d ON d.user_id = k.user_id"
            " AND d.device_id = k.device_id WHERE k.user_id = ?",
            user_id,
        )
        return {str(r[0]): dict(orjson.loads(r[1])) for r in rows}

    async def device_display_names(self, user_id: str) -> dict[str, str | None]:
        rows = await self.db.fetchall("SELECT device_id, display_name FROM devices WHERE user_id = ?", user_id)
        return {str(r[0]): None if r[1] is None else str(r[1]) for r in rows}

    async def put_device_keys(self, txn: Connection, user_id: str, device_id: str, keys: dict[str, Any]) -> None:
        await txn.execute(
            "INSERT INTO e2e_device_keys (user_id, device_id, json) VALUES (?, ?, ?)"
            " ON CONFLICT (user_id, device_id) DO UPDATE SET json = excluded.json",
            user_id,
            device_id,
            _dumps(keys),
        )

    # -- one-time and fallback keys -----------------------------------------------------------------

    async def one_time_keys_by_id(
        self, txn: Connection, user_id: str, device_id: str, full_ids: list[tuple[str, str]]
    ) -> dict[tuple[str, str], dict[str, Any] | str]:
        found: dict[tuple[str, str], dict[str, Any] | str] = {}
        for algorithm, key_id in full_ids:
            raw = await txn.fetchval(
                "SELECT json FROM e2e_one_time_keys WHERE user_id = ? AND device_id = ? AND algorithm = ?"
                " AND key_id = ?",
                user_id,
                device_id,
                algorithm,
                key_id,
            )
            if raw is not None:
                found[(algorithm, key_id)] = orjson.loads(raw)
        return found

    async def add_one_time_keys(
        self, txn: Connection, user_id: str, device_id: str, keys: list[tuple[str, str, Any]]
    ) -> None:
        """Add (algorithm, key_id, key) rows; all keys of one upload share one `seq`, after earlier uploads."""
        if not keys:
            return
        latest = await txn.fetchval(
            "SELECT MAX(seq) FROM e2e_one_time_keys WHERE user_id = ? AND device_id = ?", user_id, device_id
        )
        seq = 0 if latest is None else int(latest) + 1
        await txn.executemany(
            "INSERT INTO e2e_one_time_keys (user_id, device_id, algorithm, key_id, json, seq)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [(user_id, device_id, algorithm, key_id, _dumps(key), seq) for algorithm, key_id, key in keys],
        )

    async def one_time_key_counts(self, user_id: str, device_id: str, conn: Connection | None = None) -> dict[str, int]:
        rows = await (conn or self.db).fetchall(
            "SELECT algorithm, COUNT(*) FROM e2e_one_time_keys WHERE user_id = ? AND device_id = ? GROUP BY algorithm",
            user_id,
            device_id,
        )
        return {str(r[0]): int(r[1]) for r in rows}

    async def key_counts(self, user_id: str, device_id: str) -> tuple[dict[str, int], list[str]]:
        """(one-time key count per algorithm, algorithms with an unused fallback key), in one query."""
        rows = await self.db.fetchall(
            "SELECT algorithm, COUNT(*), 0 FROM e2e_one_time_keys WHERE user_id = ? AND device_id = ?"
            " GROUP BY algorithm"
            " UNION ALL SELECT algorithm, 0, 1 FROM e2e_fallback_keys WHERE user_id = ? AND device_id = ? AND used = 0",
            user_id,
            device_id,
            user_id,
            device_id,
        )
        counts = {str(r[0]): int(r[1]) for r in rows if not r[2]}
        return counts, sorted(str(r[0]) for r in rows if r[2])

    async def claim_one_time_key(
        self, txn: Connection, user_id: str, device_id: str, algorithm: str
    ) -> tuple[str, Any] | None:
        """Remove and return the oldest one-time key. DELETE ... RETURNING hands each row to one caller only;
        on PostgreSQL, SKIP LOCKED lets concurrent claimers take the next key instead of waiting."""
        lock = " FOR UPDATE SKIP LOCKED" if txn.dialect == "postgres" else ""
        row = await txn.fetchone(
            "DELETE FROM e2e_one_time_keys WHERE user_id = ? AND device_id = ? AND algorithm = ? AND key_id = ("
            "SELECT key_id FROM e2e_one_time_keys WHERE user_id = ? AND device_id = ? AND algorithm = ?"
            f" ORDER BY seq, key_id LIMIT 1{lock}) RETURNING key_id, json",
            user_id,
            device_id,
            algorithm,
            user_id,
            device_id,
            algorithm,
        )
        return None if row is None else (str(row[0]), orjson.loads(row[1]))

    async def fallback_key(
        self, txn: Connection, user_id: str, device_id: str, algorithm: str
    ) -> tuple[str, Any, bool] | None:
        row = await txn.fetchone(
            "SELECT key_id, json, used FROM e2e_fallback_keys WHERE user_id = ? AND device_id = ? AND algorithm = ?",
            user_id,
            device_id,
            algorithm,
        )
        return None if row is None else (str(row[0]), orjson.loads(row[1]), bool(row[2]))

    async def put_fallback_key(
        self, txn: Connection, user_id: str, device_id: str, algorithm: str, key_id: str, key: Any
    ) -> None:
        await txn.execute(
            "INSERT INTO e2e_fallback_keys (user_id, device_id, algorithm, key_id, json, used)"
            " VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT (user_id, device_id, algorithm)"
            " DO UPDATE SET key_id = excluded.key_id, json = excluded.json, used = 0",
            user_id,
            device_id,
            algorithm,
            key_id,
            _dumps(key),
        )

    async def claim_fallback_key(
        self, txn: Connection, user_id: str, device_id: str, algorithm: str
    ) -> tuple[str, Any] | None:
        row = await txn.fetchone(
            "UPDATE e2e_fallback_keys SET used = 1 WHERE user_id = ? AND device_id = ? AND algorithm = ?"
            " RETURNING key_id, json",
            user_id,
            device_id,
            algorithm,
        )
        return None if row is None else (str(row[0]), orjson.loads(row[1]))

    # -- cross-signing keys and signatures ----------------------------------------------------------

    async def cross_signing_keys(self, user_id: str, conn: Connection | None = None) -> dict[str, CrossSigningKey]:
        rows = await (conn or self.db).fetchall(
            "SELECT key_type, public_key, json FROM e2e_cross_signing_keys WHERE user_id = ?", user_id
        )
        return {str(r[0]): CrossSigningKey(str(r[0]), str(r[1]), dict(orjson.loads(r[2]))) for r in rows}

    async def put_cross_signing_key(self, txn: Connection, user_id: str, key: CrossSigningKey) -> None:
        await txn.execute(
            "INSERT INTO e2e_cross_signing_keys (user_id, key_type, public_key, json) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (user_id, key_type) DO UPDATE SET public_key = excluded.public_key, json = excluded.json",
            user_id,
            key.key_type,
            key.public_key,
            _dumps(key.json),
        )
        # Signatures of a replaced key are about a key that no longer exists.
        await txn.execute(
            "DELETE FROM e2e_signatures WHERE target_user = ? AND target_key NOT IN (SELECT public_key FROM"
            " e2e_cross_signing_keys WHERE user_id = ?) AND target_key NOT IN (SELECT device_id FROM devices"
            " WHERE user_id = ?)",
            user_id,
            user_id,
            user_id,
        )

    async def add_signature(
        self, txn: Connection, target_user: str, target_key: str, signer_user: str, signer_key_id: str, signature: str
    ) -> None:
        await txn.execute(
            "INSERT INTO e2e_signatures (target_user, target_key, signer_user, signer_key_id, signature)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (target_user, target_key, signer_user, signer_key_id)"
            " DO UPDATE SET signature = excluded.signature",
            target_user,
            target_key,
            signer_user,
            signer_key_id,
            signature,
        )

    async def signatures_on(self, target_user: str) -> list[StoredSignature]:
        rows = await self.db.fetchall(
            "SELECT target_key, signer_user, signer_key_id, signature FROM e2e_signatures WHERE target_user = ?",
            target_user,
        )
        return [StoredSignature(str(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows]

    # -- device deletion ----------------------------------------------------------------------------

    async def delete_device_keys(self, txn: Connection, user_id: str, device_ids: list[str]) -> None:
        for device_id in device_ids:
            for table in ("e2e_device_keys", "e2e_one_time_keys", "e2e_fallback_keys"):
                await txn.execute(f"DELETE FROM {table} WHERE user_id = ? AND device_id = ?", user_id, device_id)
            await txn.execute("DELETE FROM e2e_signatures WHERE target_user = ? AND target_key = ?", user_id, device_id)


async def delete_user_e2e_data(txn: Connection, user_id: str) -> None:
    """Deactivation: the account's cross-signing keys, the signatures it made or received, its backups."""
    await txn.execute("DELETE FROM e2e_cross_signing_keys WHERE user_id = ?", user_id)
    await txn.execute("DELETE FROM e2e_signatures WHERE target_user = ? OR signer_user = ?", user_id, user_id)
    await txn.execute("DELETE FROM e2e_backup_keys WHERE user_id = ?", user_id)
    await txn.execute("DELETE FROM e2e_backup_versions WHERE user_id = ?", user_id)


class DeviceListStore:
    """Who changed devices or cross-signing keys, and who started or stopped sharing rooms, by position."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add_change(self, txn: Connection, user_ids: list[str], observer: str = EVERYONE) -> int:
        pos = await next_position(txn)
        await txn.executemany(
            "INSERT INTO e2e_device_list_changes (stream_pos, user_id, observer) VALUES (?, ?, ?)",
            [(pos, user_id, observer) for user_id in sorted(set(user_ids))],
        )
        return pos

    async def changes_between(self, observer: str, after: int, upto: int) -> tuple[set[str], set[str]]:
        """(users whose change everyone may see, users whose change only `observer` may see) in (after, upto]."""
        rows = await self.db.fetchall(
            "SELECT DISTINCT user_id, observer FROM e2e_device_list_changes WHERE stream_pos > ? AND stream_pos <= ?"
            " AND (observer = '' OR observer = ?)",
            after,
            upto,
            observer,
        )
        public = {str(r[0]) for r in rows if r[1] == EVERYONE}
        private = {str(r[0]) for r in rows if r[1] != EVERYONE}
        return public, private

    async def membership_changes_in(self, room_ids: list[str], after: int, upto: int) -> list[tuple[str, str, str]]:
        """(room_id, user_id, membership) of every membership change in these rooms in (after, upto]."""
        rows = await fetch_in(
            self.db,
            "SELECT room_id, user_id, membership FROM membership_changes WHERE room_id IN ({marks})"
            " AND stream_pos > ? AND stream_pos <= ? ORDER BY stream_pos",
            room_ids,
            after,
            upto,
        )
        return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]
