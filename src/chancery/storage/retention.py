"""Retention, legal holds and spillage: what the purge reads and deletes, the holds, delivery records."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import orjson

from .database import IN_LIST_CHUNK, Connection, Database, PostgresDatabase, fetch_in

# pg_try_advisory_lock key of the purge: one process of a deployment purges at a time.
PURGE_LOCK_KEY = 7205761194


@dataclass(frozen=True)
class RoomPolicyInputs:
    room_id: str
    last_event_id: str | None
    retention: dict[str, Any] | None  # content of m.room.retention
    classification: dict[str, Any] | None  # content of org.chancery.classification


@dataclass(frozen=True)
class ScannedEvent:
    pos: int
    event_id: str
    sender: str
    ts: int
    is_state: bool


def _content(event_json: str | None) -> dict[str, Any] | None:
    if event_json is None:
        return None
    content = orjson.loads(event_json).get("content")
    return content if isinstance(content, dict) else None


def _state_json(event_type: str) -> str:
    return (
        "(SELECT e.json FROM current_state c JOIN events e ON e.event_id = c.event_id WHERE c.room_id = r.room_id"
        f" AND c.type = '{event_type}' AND c.state_key = '')"
    )


class RetentionStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    @asynccontextmanager
    async def purge_lock(self) -> AsyncIterator[bool]:
        """Whether this process may purge now: on PostgreSQL a session advisory lock held for the whole run (other
        processes skip their run); SQLite has one writing process anyway."""
        if not isinstance(self.db, PostgresDatabase):
            yield True
            return
        async with self.db.pool.acquire() as conn:
            got = bool(await conn.fetchval("SELECT pg_try_advisory_lock($1)", PURGE_LOCK_KEY))
            try:
                yield got
            finally:
                if got:
                    await conn.execute("SELECT pg_advisory_unlock($1)", PURGE_LOCK_KEY)

    # -- legal holds ------------------------------------------------------------------------------------

    async def place_hold(self, txn: Connection, kind: str, target: str, by: str, reason: str | None, now: int) -> bool:
        """False when the hold was already in place."""
        placed = await txn.fetchval(
            "INSERT INTO legal_holds (kind, target, placed_by, reason, placed_ts) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (kind, target) DO NOTHING RETURNING target",
            kind,
            target,
            by,
            reason,
            now,
        )
        return placed is not None

    async def lift_hold(self, txn: Connection, kind: str, target: str) -> bool:
        lifted = await txn.fetchval(
            "DELETE FROM legal_holds WHERE kind = ? AND target = ? RETURNING target", kind, target
        )
        return lifted is not None

    async def held(self, kind: str) -> set[str]:
        return {str(r[0]) for r in await self.db.fetchall("SELECT target FROM legal_holds WHERE kind = ?", kind)}

    async def holds(self) -> list[tuple[str, str, str, str | None, int]]:
        rows = await self.db.fetchall(
            "SELECT kind, target, placed_by, reason, placed_ts FROM legal_holds ORDER BY kind, target"
        )
        return [(str(r[0]), str(r[1]), str(r[2]), r[3], int(r[4])) for r in rows]

    # -- policies set by administrators ------------------------------------------------------------

    async def policies(self) -> dict[str, tuple[int, int]]:
        """level ('' for unclassified) -> (default_days, max_days)."""
        rows = await self.db.fetchall("SELECT level, default_days, max_days FROM retention_policies")
        return {str(r[0]): (int(r[1]), int(r[2])) for r in rows}

    async def set_policy(
        self, txn: Connection, level: str, default_days: int, max_days: int, by: str, now: int
    ) -> None:
        await txn.execute(
            "INSERT INTO retention_policies (level, default_days, max_days, set_by, set_ts) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (level) DO UPDATE SET default_days = excluded.default_days,"
            " max_days = excluded.max_days, set_by = excluded.set_by, set_ts = excluded.set_ts",
            level,
            default_days,
            max_days,
            by,
            now,
        )

    async def delete_policy(self, txn: Connection, level: str) -> bool:
        gone = await txn.fetchval("DELETE FROM retention_policies WHERE level = ? RETURNING level", level)
        return gone is not None

    # -- the purge --------------------------------------------------------------------------------------

    async def rooms_not_held(self) -> list[RoomPolicyInputs]:
        rows = await self.db.fetchall(
            f"SELECT r.room_id, r.last_event_id, {_state_json('m.room.retention')},"
            f" {_state_json('org.chancery.classification')} FROM rooms r"
            " WHERE r.room_id NOT IN (SELECT target FROM legal_holds WHERE kind = 'room') ORDER BY r.room_id"
        )
        return [RoomPolicyInputs(str(r[0]), r[1], _content(r[2]), _content(r[3])) for r in rows]

    async def scan(self, room_id: str, after_pos: int, limit: int) -> list[ScannedEvent]:
        """The room's events after a position, oldest first (stream order: the purge walks from the start)."""
        rows = await self.db.fetchall(
            "SELECT stream_pos, event_id, sender, origin_server_ts, state_key FROM events WHERE room_id = ?"
            " AND stream_pos > ? ORDER BY stream_pos LIMIT ?",
            room_id,
            after_pos,
            limit,
        )
        return [ScannedEvent(int(r[0]), str(r[1]), str(r[2]), int(r[3]), r[4] is not None) for r in rows]

    async def dependants(self, conn: Connection, event_ids: list[str]) -> list[ScannedEvent]:
        """Non-state events that would dangle without these: relations to them and redactions of them."""
        found: list[ScannedEvent] = []
        for start in range(0, len(event_ids), IN_LIST_CHUNK // 2):
            chunk = event_ids[start : start + IN_LIST_CHUNK // 2]
            marks = ",".join("?" * len(chunk))
            rows = await conn.fetchall(
                "SELECT stream_pos, event_id, sender, origin_server_ts FROM events WHERE state_key IS NULL"
                f" AND (relates_to IN ({marks}) OR event_id IN (SELECT redaction_id FROM redactions"
                f" WHERE event_id IN ({marks})))",
                *chunk,
                *chunk,
            )
            found += [ScannedEvent(int(r[0]), str(r[1]), str(r[2]), int(r[3]), False) for r in rows]
        return found

    async def event_json(self, conn: Connection, positions: list[int]) -> list[dict[str, Any]]:
        rows = await fetch_in(conn, "SELECT json FROM events WHERE stream_pos IN ({marks})", positions)
        return [orjson.loads(r[0]) for r in rows]

    async def delete_events(self, txn: Connection, positions: list[int], event_ids: list[str]) -> None:
        """Delete events with everything derived from them: search index, mentions (notifications),
        receipts on them, redaction records and transaction IDs."""
        search_column = "stream_pos" if txn.dialect == "postgres" else "rowid"
        for start in range(0, len(positions), IN_LIST_CHUNK):
            chunk = positions[start : start + IN_LIST_CHUNK]
            marks = ",".join("?" * len(chunk))
            await txn.execute(f"DELETE FROM event_search WHERE {search_column} IN ({marks})", *chunk)
            await txn.execute(f"DELETE FROM event_mentions WHERE stream_pos IN ({marks})", *chunk)
            await txn.execute(f"DELETE FROM events WHERE stream_pos IN ({marks})", *chunk)
        for start in range(0, len(event_ids), IN_LIST_CHUNK // 2):
            chunk_ids = event_ids[start : start + IN_LIST_CHUNK // 2]
            marks = ",".join("?" * len(chunk_ids))
            await txn.execute(f"DELETE FROM receipts WHERE event_id IN ({marks})", *chunk_ids)
            await txn.execute(
                f"DELETE FROM redactions WHERE event_id IN ({marks}) OR redaction_id IN ({marks})",
                *chunk_ids,
                *chunk_ids,
            )
            await txn.execute(f"DELETE FROM event_txns WHERE event_id IN ({marks})", *chunk_ids)

    async def delete_media(self, txn: Connection, media_ids: list[str], held_users: set[str]) -> list[str]:
        """Delete media rows (not those uploaded by someone under hold); the sha256 of each deleted file."""
        if not media_ids:
            return []
        rows = await fetch_in(
            txn, "SELECT media_id, uploader, sha256 FROM media WHERE media_id IN ({marks})", media_ids
        )
        doomed = [(str(r[0]), r[2]) for r in rows if str(r[1]) not in held_users]
        for media_id, _ in doomed:
            await txn.execute("DELETE FROM media WHERE media_id = ?", media_id)
            await txn.execute("DELETE FROM media_downloads WHERE media_id = ?", media_id)
        return [sha256 for _, sha256 in doomed if sha256 is not None]

    async def content_referenced(self, conn: Connection, sha256: str) -> bool:
        return await conn.fetchval("SELECT 1 FROM media WHERE sha256 = ? LIMIT 1", sha256) is not None

    # -- delivery records (spillage) ------------------------------------------------------------------

    async def record_sync_marks(self, rows: list[tuple[str, str, int]]) -> None:
        """(user_id, device_id, synced_upto) high-water marks, raised (never lowered) in one transaction."""
        async with self.db.transaction() as txn:
            await txn.executemany(
                "INSERT INTO device_sync_marks (user_id, device_id, synced_upto) VALUES (?, ?, ?)"
                " ON CONFLICT (user_id, device_id) DO UPDATE SET synced_upto = CASE"
                " WHEN excluded.synced_upto > device_sync_marks.synced_upto THEN excluded.synced_upto"
                " ELSE device_sync_marks.synced_upto END",
                rows,
            )

    async def record_download(self, media_id: str, user_id: str, device_id: str, now: int) -> None:
        await self.db.execute(
            "INSERT INTO media_downloads (media_id, user_id, device_id, first_ts) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (media_id, user_id, device_id) DO NOTHING",
            media_id,
            user_id,
            device_id,
            now,
        )

    async def devices_synced_past(self, room_id: str, pos: int) -> list[tuple[str, str]]:
        """Devices that were sent /sync responses reaching `pos` while their owner could receive the room's
        events there: joined at `pos`, or joined later (a new member's first timeline may carry it) and synced
        since joining."""
        rows = await self.db.fetchall(
            "SELECT s.user_id, s.device_id FROM device_sync_marks s WHERE s.synced_upto >= ? AND EXISTS ("
            " SELECT 1 FROM membership_changes m WHERE m.room_id = ? AND m.user_id = s.user_id"
            " AND m.membership = 'join' AND ((m.stream_pos > ? AND s.synced_upto >= m.stream_pos)"
            " OR m.stream_pos = (SELECT MAX(m2.stream_pos) FROM membership_changes m2 WHERE m2.room_id = m.room_id"
            " AND m2.user_id = m.user_id AND m2.stream_pos <= ?)))"
            " ORDER BY s.user_id, s.device_id",
            pos,
            room_id,
            pos,
            pos,
        )
        return [(str(r[0]), str(r[1])) for r in rows]

    async def downloads_of(self, media_ids: list[str]) -> list[tuple[str, str, str]]:
        """(media_id, user_id, device_id) of every recorded download of these media."""
        rows = await fetch_in(
            self.db,
            "SELECT media_id, user_id, device_id FROM media_downloads WHERE media_id IN ({marks})"
            " ORDER BY media_id, user_id, device_id",
            media_ids,
        )
        return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]

    async def record_spillage(
        self, event_id: str, room_id: str, marked_by: str, now: int, recipients: dict[str, Any]
    ) -> None:
        await self.db.execute(
            "INSERT INTO spillages (event_id, room_id, marked_by, marked_ts, recipients) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (event_id) DO UPDATE SET marked_by = excluded.marked_by, marked_ts = excluded.marked_ts,"
            " recipients = excluded.recipients",
            event_id,
            room_id,
            marked_by,
            now,
            orjson.dumps(recipients).decode(),
        )

    async def scrub_freed_space(self) -> None:
        """Overwrite what deleted rows left in the database files: SQLite's search index is merged and its WAL
        checkpointed into the database (whose freed space secure_delete zeroes) and truncated; PostgreSQL
        vacuums the tables that held the content, so dead row versions are gone from its pages."""
        if isinstance(self.db, PostgresDatabase):
            async with self.db.pool.acquire() as conn:
                for table in ("events", "event_search", "media"):
                    await conn.execute(f"VACUUM {table}")
        else:
            # FTS5 keeps a deleted row's terms in older index segments until they are merged.
            async with self.db.transaction() as txn:
                await txn.execute("INSERT INTO event_search (event_search) VALUES ('optimize')")
            # On the reading connection, outside any transaction; a write group in progress makes it busy.
            for _ in range(50):
                busy = await self.db.fetchone("PRAGMA wal_checkpoint(TRUNCATE)")
                if busy is None or not busy[0]:
                    break
                await asyncio.sleep(0.02)
