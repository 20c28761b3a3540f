"""Rooms, memberships, aliases and the public room list."""

from __future__ import annotations

from dataclasses import dataclass

from .database import Connection, Database, fetch_in


@dataclass(frozen=True)
class RoomRow:
    room_id: str
    room_version: str
    creator: str
    is_public: bool
    last_event_id: str | None
    last_depth: int


class RoomStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def insert_room(
        self, txn: Connection, room_id: str, version: str, creator: str, is_public: bool, now: int
    ) -> bool:
        """Insert the room row; False when the room ID is taken (also by a concurrent, later committed insert)."""
        inserted = await txn.fetchval(
            "INSERT INTO rooms (room_id, room_version, creator, is_public, created_ts) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (room_id) DO NOTHING RETURNING room_id",
            room_id,
            version,
            creator,
            int(is_public),
            now,
        )
        return inserted is not None

    async def get_room(
        self, room_id: str, conn: Connection | None = None, *, for_update: bool = False
    ) -> RoomRow | None:
        conn = conn or self.db
        # FOR UPDATE serialises event creation per room across processes on PostgreSQL; SQLite
        # already has a single writer.
        suffix = " FOR UPDATE" if for_update and conn.dialect == "postgres" else ""
        row = await conn.fetchone(
            "SELECT room_id, room_version, creator, is_public, last_event_id, last_depth FROM rooms"
            f" WHERE room_id = ?{suffix}",
            room_id,
        )
        if row is None:
            return None
        return RoomRow(str(row[0]), str(row[1]), str(row[2]), bool(row[3]), row[4], int(row[5]))

    async def set_last_event(self, txn: Connection, room_id: str, event_id: str, depth: int) -> None:
        await txn.execute(
            "UPDATE rooms SET last_event_id = ?, last_depth = ? WHERE room_id = ?", event_id, depth, room_id
        )

    async def set_public(self, room_id: str, is_public: bool, conn: Connection | None = None) -> None:
        await (conn or self.db).execute("UPDATE rooms SET is_public = ? WHERE room_id = ?", int(is_public), room_id)

    async def public_room_ids(self) -> list[str]:
        rows = await self.db.fetchall("SELECT room_id FROM rooms WHERE is_public = 1 ORDER BY created_ts")
        return [str(r[0]) for r in rows]

    # -- membership --------------------------------------------------------------------------------

    async def rooms_for_user(self, user_id: str, membership: str = "join") -> list[str]:
        rows = await self.db.fetchall(
            "SELECT room_id FROM current_state WHERE type = 'm.room.member' AND state_key = ? AND membership = ?",
            user_id,
            membership,
        )
        return [str(r[0]) for r in rows]

    async def membership(self, room_id: str, user_id: str, conn: Connection | None = None) -> str | None:
        value = await (conn or self.db).fetchval(
            "SELECT membership FROM current_state WHERE room_id = ? AND type = 'm.room.member' AND state_key = ?",
            room_id,
            user_id,
        )
        return None if value is None else str(value)

    async def members(self, room_id: str, membership: str = "join") -> list[str]:
        rows = await self.db.fetchall(
            "SELECT state_key FROM current_state WHERE room_id = ? AND type = 'm.room.member' AND membership = ?",
            room_id,
            membership,
        )
        return [str(r[0]) for r in rows]

    async def member_counts(self, room_id: str) -> dict[str, int]:
        rows = await self.db.fetchall(
            "SELECT membership, COUNT(*) FROM current_state WHERE room_id = ? AND type = 'm.room.member'"
            " GROUP BY membership",
            room_id,
        )
        return {str(r[0]): int(r[1]) for r in rows}

    async def member_counts_of_rooms(self, room_ids: list[str]) -> dict[str, dict[str, int]]:
        rows = await fetch_in(
            self.db,
            "SELECT room_id, membership, COUNT(*) FROM current_state WHERE room_id IN ({marks})"
            " AND type = 'm.room.member' GROUP BY room_id, membership",
            room_ids,
        )
        found: dict[str, dict[str, int]] = {room_id: {} for room_id in room_ids}
        for row in rows:
            found[str(row[0])][str(row[1])] = int(row[2])
        return found

    async def memberships_at(self, user_id: str, pos: int) -> dict[str, tuple[str, int, str]]:
        """room_id -> (membership, stream_pos, event_id) of the user's latest change at or before `pos`."""
        rows = await self.db.fetchall(
            "SELECT room_id, membership, stream_pos, event_id FROM membership_changes WHERE user_id = ?"
            " AND stream_pos <= ? ORDER BY stream_pos",
            user_id,
            pos,
        )
        latest: dict[str, tuple[str, int, str]] = {}
        for row in rows:
            latest[str(row[0])] = (str(row[1]), int(row[2]), str(row[3]))
        return latest

    async def membership_history(self, room_id: str, user_id: str) -> list[tuple[int, str]]:
        """(position, membership) of every membership change of a user in a room, oldest first."""
        rows = await self.db.fetchall(
            "SELECT stream_pos, membership FROM membership_changes WHERE room_id = ? AND user_id = ?"
            " ORDER BY stream_pos",
            room_id,
            user_id,
        )
        return [(int(r[0]), str(r[1])) for r in rows]

    async def membership_histories(self, user_id: str) -> dict[str, list[tuple[int, str]]]:
        """room -> (position, membership) of every membership change of a user there, oldest first."""
        rows = await self.db.fetchall(
            "SELECT room_id, stream_pos, membership FROM membership_changes WHERE user_id = ? ORDER BY stream_pos",
            user_id,
        )
        found: dict[str, list[tuple[int, str]]] = {}
        for row in rows:
            found.setdefault(str(row[0]), []).append((int(row[1]), str(row[2])))
        return found

    async def users_sharing_rooms(self, user_id: str) -> set[str]:
        rows = await self.db.fetchall(
            "SELECT DISTINCT other.state_key FROM current_state mine JOIN current_state other"
            " ON other.room_id = mine.room_id AND other.type = 'm.room.member' AND other.membership = 'join'"
            " WHERE mine.type = 'm.room.member' AND mine.state_key = ? AND mine.membership = 'join'",
            user_id,
        )
        return {str(r[0]) for r in rows}

    async def share_a_room(self, user_id: str, other_user_id: str) -> bool:
        """Whether both users are joined to at least one common room."""
        found = await self.db.fetchval(
            "SELECT 1 FROM current_state mine JOIN current_state other ON other.room_id = mine.room_id"
            " AND other.type = 'm.room.member' AND other.state_key = ? AND other.membership = 'join'"
            " WHERE mine.type = 'm.room.member' AND mine.state_key = ? AND mine.membership = 'join' LIMIT 1",
            other_user_id,
            user_id,
        )
        return found is not None

    async def forget(self, user_id: str, room_id: str) -> None:
        await self.db.execute(
            "INSERT INTO forgotten_rooms (user_id, room_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
            user_id,
            room_id,
        )

    async def unforget(self, txn: Connection, user_id: str, room_id: str) -> None:
        await txn.execute("DELETE FROM forgotten_rooms WHERE user_id = ? AND room_id = ?", user_id, room_id)

    async def forgotten_rooms(self, user_id: str) -> set[str]:
        rows = await self.db.fetchall("SELECT room_id FROM forgotten_rooms WHERE user_id = ?", user_id)
        return {str(r[0]) for r in rows}

    # -- aliases ---------------------------------------------------------------------------------

    async def create_alias(self, alias: str, room_id: str, creator: str, conn: Connection | None = None) -> bool:
        conn = conn or self.db
        existing = await conn.fetchval("SELECT room_id FROM room_aliases WHERE alias = ?", alias)
        if existing is not None:
            return False
        await conn.execute(
            "INSERT INTO room_aliases (alias, room_id, creator) VALUES (?, ?, ?)", alias, room_id, creator
        )
        return True

    async def alias_room(self, alias: str, conn: Connection | None = None) -> tuple[str, str] | None:
        """(room ID, creator) of an alias."""
        row = await (conn or self.db).fetchone("SELECT room_id, creator FROM room_aliases WHERE alias = ?", alias)
        return None if row is None else (str(row[0]), str(row[1]))

    async def delete_alias(self, alias: str) -> None:
        await self.db.execute("DELETE FROM room_aliases WHERE alias = ?", alias)

    async def aliases_of(self, room_id: str) -> list[str]:
        rows = await self.db.fetchall("SELECT alias FROM room_aliases WHERE room_id = ? ORDER BY alias", room_id)
        return [str(r[0]) for r in rows]

    async def move_aliases(self, txn: Connection, old_room_id: str, new_room_id: str) -> list[str]:
        """Point every local alias of a room at its replacement (room upgrades); return them."""
        rows = await txn.fetchall(
            "UPDATE room_aliases SET room_id = ? WHERE room_id = ? RETURNING alias", new_room_id, old_room_id
        )
        return sorted(str(r[0]) for r in rows)
