"""Clearances, device accreditation, rooms' current markings and the markings files inherited (issue 12)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from .database import Connection, Database, fetch_in


@dataclass(frozen=True)
class ClearanceRow:
    user_id: str
    level: str
    caveats: tuple[str, ...]
    expires_ts: int | None
    set_by: str
    set_ts: int


@dataclass(frozen=True)
class MarkingRow:
    level: str
    caveats: tuple[str, ...]


def _caveats(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text))


def _text(caveats: Sequence[str]) -> str:
    return json.dumps(sorted(caveats))


class ClassificationStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- clearances ------------------------------------------------------------------------------------

    async def clearance(
        self, user_id: str, conn: Connection | None = None, *, for_share: bool = False
    ) -> ClearanceRow | None:
        """`for_share` (in a transaction): a change to the clearance waits for this transaction to end, so a
        membership admitted on the old clearance is committed before the change's removals look for it."""
        conn = conn or self.db
        lock = " FOR SHARE" if for_share and conn.dialect == "postgres" else ""
        row = await conn.fetchone(
            "SELECT level, caveats, expires_ts, set_by, set_ts FROM clearances WHERE user_id = ?" + lock, user_id
        )
        if row is None:
            return None
        return ClearanceRow(user_id, str(row[0]), _caveats(row[1]), row[2], str(row[3]), int(row[4]))

    async def set_clearance(self, txn: Connection, row: ClearanceRow) -> None:
        """Replace the clearance (one statement: concurrent officers cannot collide on the key)."""
        await txn.execute(
            "INSERT INTO clearances (user_id, level, caveats, expires_ts, set_by, set_ts) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET level = excluded.level, caveats = excluded.caveats,"
            " expires_ts = excluded.expires_ts, set_by = excluded.set_by, set_ts = excluded.set_ts,"
            " expiry_handled = 0",
            row.user_id,
            row.level,
            _text(row.caveats),
            row.expires_ts,
            row.set_by,
            row.set_ts,
        )

    async def delete_clearance(self, txn: Connection, user_id: str) -> bool:
        existed = await txn.fetchval("SELECT 1 FROM clearances WHERE user_id = ?", user_id) is not None
        await txn.execute("DELETE FROM clearances WHERE user_id = ?", user_id)
        return existed

    async def expired_unhandled(self, now: int, limit: int = 100) -> list[str]:
        rows = await self.db.fetchall(
            "SELECT user_id FROM clearances WHERE expiry_handled = 0 AND expires_ts <= ? ORDER BY expires_ts LIMIT ?",
            now,
            limit,
        )
        return [str(row[0]) for row in rows]

    async def mark_expiry_handled(self, txn: Connection, user_id: str, expires_ts: int) -> bool:
        """Only the expiry that was acted on (a clearance renewed meanwhile stays pending); True for the one
        process that marks it, when several sweep at once."""
        row = await txn.fetchone(
            "UPDATE clearances SET expiry_handled = 1 WHERE user_id = ? AND expires_ts = ? AND expiry_handled = 0"
            " RETURNING user_id",
            user_id,
            expires_ts,
        )
        return row is not None

    # -- device accreditation ------------------------------------------------------------------------

    async def is_accredited(self, user_id: str, device_id: str, token_hash: str) -> bool:
        value = await self.db.fetchval(
            "SELECT 1 FROM device_accreditations WHERE user_id = ? AND device_id = ? AND token_hash = ?",
            user_id,
            device_id,
            token_hash,
        )
        return value is not None

    async def has_session(self, user_id: str, device_id: str) -> bool:
        value = await self.db.fetchval(
            "SELECT 1 FROM access_tokens WHERE user_id = ? AND device_id = ?", user_id, device_id
        )
        return value is not None

    async def set_accredited(self, txn: Connection, user_id: str, device_id: str, by: str, now: int) -> bool:
        """Accredit the device's current sessions; True when one of them was not accredited before."""
        rows = await txn.fetchall(
            "SELECT token_hash FROM access_tokens t WHERE user_id = ? AND device_id = ? AND NOT EXISTS"
            " (SELECT 1 FROM device_accreditations a WHERE a.token_hash = t.token_hash"
            " AND a.user_id = t.user_id AND a.device_id = t.device_id)",
            user_id,
            device_id,
        )
        await txn.executemany(
            "INSERT INTO device_accreditations (user_id, device_id, token_hash, accredited_by, accredited_ts)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [(user_id, device_id, str(row[0]), by, now) for row in rows],
        )
        return bool(rows)

    async def remove_accreditation(self, txn: Connection, user_id: str, device_id: str) -> bool:
        existed = await txn.fetchval(
            "SELECT 1 FROM device_accreditations WHERE user_id = ? AND device_id = ?", user_id, device_id
        )
        await txn.execute("DELETE FROM device_accreditations WHERE user_id = ? AND device_id = ?", user_id, device_id)
        return existed is not None

    # -- rooms and files -----------------------------------------------------------------------------

    async def set_room_marking(self, txn: Connection, room_id: str, marking: MarkingRow | None) -> None:
        await txn.execute("DELETE FROM room_classifications WHERE room_id = ?", room_id)
        if marking is not None:
            await txn.execute(
                "INSERT INTO room_classifications (room_id, level, caveats) VALUES (?, ?, ?)",
                room_id,
                marking.level,
                _text(marking.caveats),
            )

    async def room_markings(self, room_ids: Sequence[str]) -> dict[str, MarkingRow]:
        rows = await fetch_in(
            self.db, "SELECT room_id, level, caveats FROM room_classifications WHERE room_id IN ({marks})", room_ids
        )
        return {str(row[0]): MarkingRow(str(row[1]), _caveats(row[2])) for row in rows}

    async def classify_media(self, conn: Connection, media_id: str, room_id: str, marking: MarkingRow) -> None:
        """One statement: it may run outside a transaction (PostgreSQL's one-statement sends) and concurrently."""
        await conn.execute(
            "INSERT INTO media_classifications (media_id, room_id, level, caveats) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (media_id, room_id) DO UPDATE SET level = excluded.level, caveats = excluded.caveats",
            media_id,
            room_id,
            marking.level,
            _text(marking.caveats),
        )

    async def media_markings(self, media_ids: Sequence[str], conn: Connection | None = None) -> list[MarkingRow]:
        """Every marking the files inherited (one per classified room they were posted in)."""
        rows = await fetch_in(
            conn or self.db, "SELECT level, caveats FROM media_classifications WHERE media_id IN ({marks})", media_ids
        )
        return [MarkingRow(str(row[0]), _caveats(row[1])) for row in rows]

    async def media_rooms(self, media_id: str) -> list[str]:
        rows = await self.db.fetchall("SELECT room_id FROM media_classifications WHERE media_id = ?", media_id)
        return [str(row[0]) for row in rows]
