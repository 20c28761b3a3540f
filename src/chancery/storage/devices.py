"""Device control: refresh tokens, approval, remote wipes, last use and stale devices (issue 14)."""

from __future__ import annotations

from dataclasses import dataclass

from .database import Connection, Database


@dataclass(frozen=True)
class WipeRow:
    sender: str
    reason: str
    message_pos: int
    acknowledged: bool


@dataclass(frozen=True)
class RefreshRow:
    user_id: str
    device_id: str
    access_token_hash: str
    session_expires_ts: int | None


class DeviceControlStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- limits and approval ----------------------------------------------------------------------

    async def count_devices(self, conn: Connection, user_id: str) -> int:
        return int(await conn.fetchval("SELECT COUNT(*) FROM devices WHERE user_id = ?", user_id) or 0)

    async def set_approved(self, txn: Connection, user_id: str, device_id: str, approved: bool) -> bool:
        """False when the device does not exist."""
        done = await txn.fetchval(
            "UPDATE devices SET approved = ? WHERE user_id = ? AND device_id = ? RETURNING device_id",
            int(approved),
            user_id,
            device_id,
        )
        return done is not None

    async def awaiting_approval(self, limit: int) -> list[tuple[str, str, str | None, int]]:
        """(user_id, device_id, display_name, created_ts) of devices waiting for approval, oldest first."""
        rows = await self.db.fetchall(
            "SELECT user_id, device_id, display_name, created_ts FROM devices WHERE approved = 0"
            " ORDER BY created_ts, user_id, device_id LIMIT ?",
            limit,
        )
        return [(str(r[0]), str(r[1]), r[2], int(r[3])) for r in rows]

    # -- session lifetime -------------------------------------------------------------------------

    async def set_token_expiry(self, txn: Connection, token_hash: str, expires_ts: int | None) -> None:
        await txn.execute("UPDATE access_tokens SET expires_ts = ? WHERE token_hash = ?", expires_ts, token_hash)

    async def add_refresh_token(
        self,
        txn: Connection,
        token_hash: str,
        user_id: str,
        device_id: str,
        access_token_hash: str,
        session_expires_ts: int | None,
        now: int,
    ) -> None:
        await txn.execute(
            "INSERT INTO refresh_tokens (token_hash, user_id, device_id, access_token_hash, session_expires_ts,"
            " created_ts) VALUES (?, ?, ?, ?, ?, ?)",
            token_hash,
            user_id,
            device_id,
            access_token_hash,
            session_expires_ts,
            now,
        )

    async def take_refresh_token(self, txn: Connection, token_hash: str) -> RefreshRow | None:
        """Remove a refresh token and return it (each is used once); None when unknown or already used."""
        row = await txn.fetchone(
            "DELETE FROM refresh_tokens WHERE token_hash = ?"
            " RETURNING user_id, device_id, access_token_hash, session_expires_ts",
            token_hash,
        )
        return None if row is None else RefreshRow(str(row[0]), str(row[1]), str(row[2]), row[3])

    async def delete_refresh_tokens(self, txn: Connection, user_id: str, device_ids: list[str]) -> None:
        await txn.executemany(
            "DELETE FROM refresh_tokens WHERE user_id = ? AND device_id = ?", [(user_id, d) for d in device_ids]
        )

    # -- remote wipe ------------------------------------------------------------------------------

    async def is_wiped(self, conn: Connection, user_id: str, device_id: str) -> bool:
        found = await conn.fetchval(
            "SELECT 1 FROM device_wipes WHERE user_id = ? AND device_id = ?", user_id, device_id
        )
        return found is not None

    async def record_wipe(
        self, txn: Connection, user_id: str, device_id: str, sender: str, reason: str, now: int
    ) -> None:
        """Keep the device's tokens as wiped ones (call before they are deleted) and remember the wipe."""
        await txn.execute(
            "INSERT INTO wiped_tokens (token_hash, user_id, device_id) SELECT token_hash, user_id, device_id"
            " FROM access_tokens WHERE user_id = ? AND device_id = ? ON CONFLICT (token_hash) DO NOTHING",
            user_id,
            device_id,
        )
        await txn.execute(
            "INSERT INTO device_wipes (user_id, device_id, sender, reason, wiped_ts, message_pos)"
            " VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT (user_id, device_id) DO NOTHING",
            user_id,
            device_id,
            sender,
            reason,
            now,
        )

    async def set_wipe_message_pos(self, txn: Connection, user_id: str, device_id: str, pos: int) -> None:
        await txn.execute(
            "UPDATE device_wipes SET message_pos = ? WHERE user_id = ? AND device_id = ?", pos, user_id, device_id
        )

    async def wiped_token(self, token_hash: str) -> tuple[str, str] | None:
        row = await self.db.fetchone("SELECT user_id, device_id FROM wiped_tokens WHERE token_hash = ?", token_hash)
        return None if row is None else (str(row[0]), str(row[1]))

    async def wipe_of(self, user_id: str, device_id: str) -> WipeRow | None:
        row = await self.db.fetchone(
            "SELECT sender, reason, message_pos, acknowledged_ts FROM device_wipes WHERE user_id = ? AND device_id = ?",
            user_id,
            device_id,
        )
        return None if row is None else WipeRow(str(row[0]), str(row[1]), int(row[2]), row[3] is not None)

    async def mark_wipe_acknowledged(self, txn: Connection, user_id: str, device_id: str, now: int) -> None:
        await txn.execute(
            "UPDATE device_wipes SET acknowledged_ts = ? WHERE user_id = ? AND device_id = ?"
            " AND acknowledged_ts IS NULL",
            now,
            user_id,
            device_id,
        )

    # -- last use and stale devices -----------------------------------------------------------------

    async def record_last_seen(self, rows: list[tuple[int, str | None, str, str]]) -> None:
        """(last_seen_ts, ip, user_id, device_id) rows, written in one transaction."""
        async with self.db.transaction() as txn:
            await txn.executemany(
                "UPDATE devices SET last_seen_ts = ?, last_seen_ip = ? WHERE user_id = ? AND device_id = ?", rows
            )

    async def stale_devices(self, unused_since: int, limit: int) -> list[tuple[str, str]]:
        """(user_id, device_id) of devices neither used nor created since `unused_since`."""
        rows = await self.db.fetchall(
            "SELECT user_id, device_id FROM devices WHERE COALESCE(last_seen_ts, created_ts) < ?"
            " ORDER BY user_id, device_id LIMIT ?",
            unused_since,
            limit,
        )
        return [(str(r[0]), str(r[1])) for r in rows]
