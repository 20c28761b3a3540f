"""What the admin API reads about rooms (the listing's facts in a few set queries), blocks, background
deletions and the purge of a room's history."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from .database import Connection, Database, Row

# The state events whose content the room listing shows (all with the empty state key).
LISTED_STATE = (
    "m.room.create",
    "m.room.name",
    "m.room.canonical_alias",
    "m.room.encryption",
    "m.room.guest_access",
    "m.room.avatar",
    "m.room.topic",
)


@dataclass
class RoomFacts:
    room_id: str
    version: str
    creator: str
    is_public: bool
    join_rule: str | None
    history_visibility: str | None
    joined_members: int = 0
    state_events: int = 0
    # event type -> content, for LISTED_STATE
    state: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class RoomDeletion:
    delete_id: str
    room_id: str
    status: str
    error: str | None
    result: dict[str, Any]


def _deletion(row: Row) -> RoomDeletion:
    return RoomDeletion(str(row[0]), str(row[1]), str(row[2]), row[3], orjson.loads(row[4]))


class AdminRoomStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def room_facts(self, room_id: str | None = None) -> list[RoomFacts]:
        """Every listed (unpurged) room, or just `room_id`: four set queries whatever the number of rooms."""
        only = " AND room_id = ?" if room_id is not None else ""
        only_c = " AND c.room_id = ?" if room_id is not None else ""
        args = [room_id] if room_id is not None else []
        rows = await self.db.fetchall(
            "SELECT room_id, room_version, creator, is_public, join_rule, history_visibility FROM rooms"
            f" WHERE purged_ts IS NULL{only}",
            *args,
        )
        facts = {str(r[0]): RoomFacts(str(r[0]), str(r[1]), str(r[2]), bool(r[3]), r[4], r[5]) for r in rows}
        marks = ",".join("?" * len(LISTED_STATE))
        for r in await self.db.fetchall(
            "SELECT c.room_id, c.type, e.json FROM current_state c JOIN events e ON e.event_id = c.event_id"
            f" WHERE c.state_key = '' AND c.type IN ({marks}){only_c}",
            *LISTED_STATE,
            *args,
        ):
            if (room := facts.get(str(r[0]))) is not None:
                content = orjson.loads(r[2]).get("content")
                room.state[str(r[1])] = content if isinstance(content, dict) else {}
        for r in await self.db.fetchall(
            "SELECT room_id, COUNT(*), SUM(CASE WHEN type = 'm.room.member' AND membership = 'join' THEN 1 ELSE 0 END)"
            f" FROM current_state WHERE 1 = 1{only} GROUP BY room_id",
            *args,
        ):
            if (room := facts.get(str(r[0]))) is not None:
                room.state_events, room.joined_members = int(r[1]), int(r[2] or 0)
        return list(facts.values())

    async def joined_devices(self, room_id: str) -> int:
        """How many devices the room's joined members have."""
        count = await self.db.fetchval(
            "SELECT COUNT(*) FROM devices d JOIN current_state c ON c.state_key = d.user_id WHERE c.room_id = ?"
            " AND c.type = 'm.room.member' AND c.membership = 'join'",
            room_id,
        )
        return int(count)

    async def is_purged(self, room_id: str) -> bool:
        return bool(await self.db.fetchval("SELECT purged_ts IS NOT NULL FROM rooms WHERE room_id = ?", room_id))

    async def closed_state(self, room_id: str) -> tuple[bool, bool]:
        """(blocked, purged) in one lookup: what the join check needs."""
        row = await self.db.fetchone(
            "SELECT EXISTS (SELECT 1 FROM blocked_rooms WHERE room_id = ?),"
            " EXISTS (SELECT 1 FROM rooms WHERE room_id = ? AND purged_ts IS NOT NULL)",
            room_id,
            room_id,
        )
        return (bool(row[0]), bool(row[1])) if row is not None else (False, False)

    # -- blocking -------------------------------------------------------------------------------------

    async def blocked_by(self, room_id: str, conn: Connection | None = None) -> str | None:
        found = await (conn or self.db).fetchval("SELECT blocked_by FROM blocked_rooms WHERE room_id = ?", room_id)
        return None if found is None else str(found)

    async def block(self, txn: Connection, room_id: str, by: str, now: int) -> None:
        await txn.execute(
            "INSERT INTO blocked_rooms (room_id, blocked_by, blocked_ts) VALUES (?, ?, ?)"
            " ON CONFLICT (room_id) DO NOTHING",
            room_id,
            by,
            now,
        )

    async def unblock(self, txn: Connection, room_id: str) -> None:
        await txn.execute("DELETE FROM blocked_rooms WHERE room_id = ?", room_id)

    # -- deletions --------------------------------------------------------------------------------

    async def add_deletion(self, txn: Connection, delete_id: str, room_id: str, by: str, now: int) -> None:
        await txn.execute(
            "INSERT INTO room_deletions (delete_id, room_id, requested_by, status, result, created_ts)"
            " VALUES (?, ?, ?, 'shutting_down', ?, ?)",
            delete_id,
            room_id,
            by,
            orjson.dumps(empty_shutdown_result()).decode(),
            now,
        )

    async def update_deletion(
        self, delete_id: str, status: str, result: dict[str, Any], error: str | None = None
    ) -> None:
        async with self.db.transaction() as txn:
            await txn.execute(
                "UPDATE room_deletions SET status = ?, result = ?, error = ? WHERE delete_id = ?",
                status,
                orjson.dumps(result).decode(),
                error,
                delete_id,
            )

    async def deletion(self, delete_id: str) -> RoomDeletion | None:
        row = await self.db.fetchone(
            "SELECT delete_id, room_id, status, error, result FROM room_deletions WHERE delete_id = ?", delete_id
        )
        return None if row is None else _deletion(row)

    async def deletions_of(self, room_id: str) -> list[RoomDeletion]:
        rows = await self.db.fetchall(
            "SELECT delete_id, room_id, status, error, result FROM room_deletions WHERE room_id = ?"
            " ORDER BY created_ts, delete_id",
            room_id,
        )
        return [_deletion(r) for r in rows]

    async def deletion_running(self, room_id: str) -> bool:
        found = await self.db.fetchval(
            "SELECT 1 FROM room_deletions WHERE room_id = ? AND status IN ('shutting_down', 'purging')", room_id
        )
        return found is not None

    async def holds_on(self, room_id: str) -> tuple[bool, list[str]]:
        """Whether the room is under legal hold, and who of those who wrote in it is."""
        room_held = await self.db.fetchval("SELECT 1 FROM legal_holds WHERE kind = 'room' AND target = ?", room_id)
        rows = await self.db.fetchall(
            "SELECT DISTINCT e.sender FROM events e JOIN legal_holds h ON h.kind = 'user' AND h.target = e.sender"
            " WHERE e.room_id = ?",
            room_id,
        )
        return room_held is not None, sorted(str(r[0]) for r in rows)

    # -- server notices ---------------------------------------------------------------------------

    async def rooms_created_by_with(self, creator: str, user_id: str) -> list[tuple[str, str]]:
        """(room ID, the user's membership) of the rooms `creator` made that `user_id` was ever in, newest
        first: how the server notices account finds a person's notices room."""
        rows = await self.db.fetchall(
            "SELECT r.room_id, c.membership FROM rooms r JOIN current_state c ON c.room_id = r.room_id"
            " AND c.type = 'm.room.member' AND c.state_key = ? WHERE r.creator = ? AND r.purged_ts IS NULL"
            " ORDER BY r.created_ts DESC, r.room_id",
            user_id,
            creator,
        )
        return [(str(r[0]), str(r[1])) for r in rows]

    # -- purge ------------------------------------------------------------------------------------

    async def purge(self, txn: Connection, room_id: str, now: int) -> None:
        """Delete the room's messages and state (but membership), aliases, receipts and room account data.
        Membership events stay (they hold no content, and are how a client that was offline learns that it
        left); so does the room row, marked purged, so that the ID is never reused."""
        gone = "SELECT event_id FROM events WHERE room_id = ? AND type <> 'm.room.member'"
        search_key = "rowid" if txn.dialect == "sqlite" else "stream_pos"
        await txn.execute(
            f"DELETE FROM event_search WHERE {search_key} IN"
            " (SELECT stream_pos FROM events WHERE room_id = ? AND type <> 'm.room.member')",
            room_id,
        )
        await txn.execute(f"DELETE FROM event_txns WHERE event_id IN ({gone})", room_id)
        await txn.execute(f"DELETE FROM redactions WHERE event_id IN ({gone})", room_id)
        await txn.execute("DELETE FROM events WHERE room_id = ? AND type <> 'm.room.member'", room_id)
        await txn.execute("DELETE FROM current_state WHERE room_id = ? AND type <> 'm.room.member'", room_id)
        for table in ("event_mentions", "receipts", "typing", "room_aliases", "account_data", "forgotten_rooms"):
            await txn.execute(f"DELETE FROM {table} WHERE room_id = ?", room_id)
        await txn.execute("UPDATE rooms SET purged_ts = ?, is_public = 0 WHERE room_id = ?", now, room_id)


def empty_shutdown_result() -> dict[str, Any]:
    return {"kicked_users": [], "failed_to_kick_users": [], "local_aliases": [], "new_room_id": None}
