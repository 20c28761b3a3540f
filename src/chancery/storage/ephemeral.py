"""Receipts, typing notifications and presence: small rows that move a room's or user's sync stream."""

from __future__ import annotations

from dataclasses import dataclass

from .database import Connection, Database, fetch_in
from .stream import next_position


@dataclass(frozen=True)
class Receipt:
    room_id: str
    receipt_type: str
    user_id: str
    thread_id: str
    event_id: str
    event_pos: int
    ts: int


@dataclass(frozen=True)
class Presence:
    user_id: str
    state: str
    status_msg: str | None
    last_active_ts: int
    pos: int


class EphemeralStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- receipts -----------------------------------------------------------------------------------

    async def put_receipt(self, receipt: Receipt) -> int | None:
        """Store a receipt unless it would move the user's receipt backwards; return its position."""
        async with self.db.transaction() as txn:
            existing = await txn.fetchval(
                "SELECT event_stream_pos FROM receipts WHERE room_id = ? AND receipt_type = ? AND user_id = ?"
                " AND thread_id = ?",
                receipt.room_id,
                receipt.receipt_type,
                receipt.user_id,
                receipt.thread_id,
            )
            if existing is not None and int(existing) >= receipt.event_pos:
                return None
            pos = await next_position(txn)
            await txn.execute(
                "INSERT INTO receipts (room_id, receipt_type, user_id, thread_id, event_id, event_stream_pos, ts,"
                " stream_pos) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (room_id, receipt_type, user_id,"
                " thread_id) DO UPDATE SET event_id = excluded.event_id, event_stream_pos ="
                " excluded.event_stream_pos, ts = excluded.ts, stream_pos = excluded.stream_pos",
                receipt.room_id,
                receipt.receipt_type,
                receipt.user_id,
                receipt.thread_id,
                receipt.event_id,
                receipt.event_pos,
                receipt.ts,
                pos,
            )
            return pos

    async def receipts_since(self, room_ids: list[str], after: int, upto: int) -> list[Receipt]:
        rows = await fetch_in(
            self.db,
            "SELECT room_id, receipt_type, user_id, thread_id, event_id, event_stream_pos, ts FROM receipts"
            " WHERE room_id IN ({marks}) AND stream_pos > ? AND stream_pos <= ?",
            room_ids,
            after,
            upto,
        )
        return [Receipt(str(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), int(r[5]), int(r[6])) for r in rows]

    async def read_receipt_positions(self, room_ids: list[str], user_id: str) -> dict[str, int]:
        """room -> stream position of the newest event the user has read there (rooms never read: absent)."""
        rows = await fetch_in(
            self.db,
            "SELECT room_id, MAX(event_stream_pos) FROM receipts WHERE room_id IN ({marks}) AND user_id = ?"
            " AND receipt_type IN ('m.read', 'm.read.private') GROUP BY room_id",
            room_ids,
            user_id,
        )
        return {str(r[0]): int(r[1]) for r in rows}

    async def set_typing(self, room_id: str, user_id: str, expires_ts: int) -> int:
        async with self.db.transaction() as txn:
            pos = await next_position(txn)
            await txn.execute(
                "INSERT INTO typing (room_id, user_id, expires_ts, stream_pos) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (room_id, user_id) DO UPDATE SET expires_ts = excluded.expires_ts,"
                " stream_pos = excluded.stream_pos",
                room_id,
                user_id,
                expires_ts,
                pos,
            )
            return pos

    async def typing_expiry(self, room_id: str, user_id: str) -> int | None:
        value = await self.db.fetchval(
            "SELECT expires_ts FROM typing WHERE room_id = ? AND user_id = ?", room_id, user_id
        )
        return None if value is None else int(value)

    async def typing_changed_rooms(self, room_ids: list[str], after: int, upto: int) -> set[str]:
        rows = await fetch_in(
            self.db,
            "SELECT DISTINCT room_id FROM typing WHERE room_id IN ({marks}) AND stream_pos > ? AND stream_pos <= ?",
            room_ids,
            after,
            upto,
        )
        return {str(r[0]) for r in rows}

    async def typing_users(self, room_id: str, now: int) -> list[str]:
        rows = await self.db.fetchall(
            "SELECT user_id FROM typing WHERE room_id = ? AND expires_ts > ? ORDER BY user_id", room_id, now
        )
        return [str(r[0]) for r in rows]

    async def typing_users_in_rooms(self, room_ids: list[str], now: int) -> dict[str, list[str]]:
        rows = await fetch_in(
            self.db,
            "SELECT room_id, user_id FROM typing WHERE room_id IN ({marks}) AND expires_ts > ? ORDER BY user_id",
            room_ids,
            now,
        )
        found: dict[str, list[str]] = {room_id: [] for room_id in room_ids}
        for row in rows:
            found[str(row[0])].append(str(row[1]))
        return found

    # -- presence -----------------------------------------------------------------------------------

    async def set_presence(
        self,
        user_id: str,
        state: str,
        status_msg: str | None,
        last_active_ts: int,
        conn: Connection | None = None,
    ) -> int:
        async with self.db.transaction() as txn:
            pos = await next_position(txn)
            await txn.execute(
                "INSERT INTO presence (user_id, state, status_msg, last_active_ts, stream_pos) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (user_id) DO UPDATE SET state = excluded.state, status_msg = excluded.status_msg,"
                " last_active_ts = excluded.last_active_ts, stream_pos = excluded.stream_pos",
                user_id,
                state,
                status_msg,
                last_active_ts,
                pos,
            )
            return pos

    async def get_presence(self, user_id: str) -> Presence | None:
        row = await self.db.fetchone(
            "SELECT user_id, state, status_msg, last_active_ts, stream_pos FROM presence WHERE user_id = ?",
            user_id,
        )
        return None if row is None else Presence(str(row[0]), str(row[1]), row[2], int(row[3]), int(row[4]))

    async def presence_since(self, user_ids: list[str], after: int, upto: int) -> list[Presence]:
        rows = await fetch_in(
            self.db,
            "SELECT user_id, state, status_msg, last_active_ts, stream_pos FROM presence"
            " WHERE user_id IN ({marks}) AND stream_pos > ? AND stream_pos <= ?",
            user_ids,
            after,
            upto,
        )
        return [Presence(str(r[0]), str(r[1]), r[2], int(r[3]), int(r[4])) for r in rows]
