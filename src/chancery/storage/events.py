"""Events, room state and transaction IDs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from .database import Connection, Database

StateKey = tuple[str, str]


@dataclass(frozen=True)
class StoredEvent:
    pos: int
    event: dict[str, Any]
    redacted: bool = False

    @property
    def event_id(self) -> str:
        return str(self.event["event_id"])


_COLUMNS = "stream_pos, json, redacted"


def _row_to_event(row: Any) -> StoredEvent:
    return StoredEvent(int(row[0]), orjson.loads(row[1]), bool(row[2]))


def _relation(event: dict[str, Any]) -> tuple[str | None, str | None]:
    relates = event.get("content", {}).get("m.relates_to")
    if isinstance(relates, dict):
        event_id = relates.get("event_id")
        rel_type = relates.get("rel_type")
        if isinstance(event_id, str):
            if isinstance(rel_type, str):
                return event_id, rel_type
            if isinstance(relates.get("m.in_reply_to"), dict):
                return event_id, None
    return None, None


class EventStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- writes (inside the caller's transaction) -------------------------------------------------

    async def insert_event(self, txn: Connection, pos: int, event: dict[str, Any]) -> None:
        relates_to, rel_type = _relation(event)
        await txn.execute(
            "INSERT INTO events (stream_pos, event_id, room_id, type, state_key, sender, origin_server_ts,"
            " relates_to, rel_type, json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            pos,
            event["event_id"],
            event["room_id"],
            event["type"],
            event.get("state_key"),
            event["sender"],
            event["origin_server_ts"],
            relates_to,
            rel_type,
            orjson.dumps(event).decode(),
        )
        if "state_key" in event:
            membership = event["content"].get("membership") if event["type"] == "m.room.member" else None
            await txn.execute(
                "INSERT INTO current_state (room_id, type, state_key, event_id, stream_pos, membership)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (room_id, type, state_key) DO UPDATE SET"
                " event_id = excluded.event_id, stream_pos = excluded.stream_pos,"
                " membership = excluded.membership",
                event["room_id"],
                event["type"],
                event["state_key"],
                event["event_id"],
                pos,
                membership,
            )
            if membership is not None:
                await txn.execute(
                    "INSERT INTO membership_changes (stream_pos, room_id, user_id, membership, event_id)"
                    " VALUES (?, ?, ?, ?, ?)",
                    pos,
                    event["room_id"],
                    event["state_key"],
                    membership,
                    event["event_id"],
                )

    async def record_txn(
        self, txn: Connection, user_id: str, device_id: str, txn_id: str, event_id: str, now: int
    ) -> None:
        await txn.execute(
            "INSERT INTO event_txns (user_id, device_id, txn_id, event_id, created_ts) VALUES (?, ?, ?, ?, ?)",
            user_id,
            device_id,
            txn_id,
            event_id,
            now,
        )

    async def replace_with_redacted(
        self, txn: Connection, event_id: str, pruned: dict[str, Any], redaction_id: str
    ) -> None:
        await txn.execute(
            "UPDATE events SET json = ?, redacted = 1 WHERE event_id = ?",
            orjson.dumps(pruned).decode(),
            event_id,
        )
        await txn.execute(
            "INSERT INTO redactions (event_id, redaction_id) VALUES (?, ?) ON CONFLICT (event_id) DO NOTHING",
            event_id,
            redaction_id,
        )

    # -- reads --------------------------------------------------------------------------------------

    async def txn_event_id(self, conn: Connection, user_id: str, device_id: str, txn_id: str) -> str | None:
        value = await conn.fetchval(
            "SELECT event_id FROM event_txns WHERE user_id = ? AND device_id = ? AND txn_id = ?",
            user_id,
            device_id,
            txn_id,
        )
        return None if value is None else str(value)

    async def get_event(self, event_id: str, conn: Connection | None = None) -> StoredEvent | None:
        row = await (conn or self.db).fetchone(f"SELECT {_COLUMNS} FROM events WHERE event_id = ?", event_id)
        return None if row is None else _row_to_event(row)

    async def get_events(self, event_ids: Iterable[str]) -> dict[str, StoredEvent]:
        ids = list(dict.fromkeys(event_ids))
        found: dict[str, StoredEvent] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in await self.db.fetchall(f"SELECT {_COLUMNS} FROM events WHERE event_id IN ({marks})", *chunk):
                stored = _row_to_event(row)
                found[stored.event_id] = stored
        return found

    async def redaction_of(self, event_id: str) -> str | None:
        value = await self.db.fetchval("SELECT redaction_id FROM redactions WHERE event_id = ?", event_id)
        return None if value is None else str(value)

    async def current_state(self, room_id: str, conn: Connection | None = None) -> dict[StateKey, StoredEvent]:
        rows = await (conn or self.db).fetchall(
            "SELECT e.stream_pos, e.json, e.redacted FROM current_state c JOIN events e ON e.event_id = c.event_id"
            " WHERE c.room_id = ?",
            room_id,
        )
        return {(s.event["type"], s.event["state_key"]): s for s in map(_row_to_event, rows)}

    async def current_state_event(
        self, room_id: str, event_type: str, state_key: str, conn: Connection | None = None
    ) -> StoredEvent | None:
        row = await (conn or self.db).fetchone(
            "SELECT e.stream_pos, e.json, e.redacted FROM current_state c JOIN events e ON e.event_id = c.event_id"
            " WHERE c.room_id = ? AND c.type = ? AND c.state_key = ?",
            room_id,
            event_type,
            state_key,
        )
        return None if row is None else _row_to_event(row)

    async def state_at(self, room_id: str, pos: int) -> dict[StateKey, StoredEvent]:
        """The room state after the event at `pos` (the room graph is linear, so stream order is history)."""
        rows = await self.db.fetchall(
            "SELECT e.stream_pos, e.json, e.redacted FROM events e JOIN ("
            " SELECT MAX(stream_pos) AS pos FROM events WHERE room_id = ? AND state_key IS NOT NULL"
            " AND stream_pos <= ? GROUP BY type, state_key) latest ON e.stream_pos = latest.pos",
            room_id,
            pos,
        )
        return {(s.event["type"], s.event["state_key"]): s for s in map(_row_to_event, rows)}

    async def state_event_at(self, room_id: str, event_type: str, state_key: str, pos: int) -> StoredEvent | None:
        row = await self.db.fetchone(
            f"SELECT {_COLUMNS} FROM events WHERE room_id = ? AND type = ? AND state_key = ? AND stream_pos <= ?"
            " ORDER BY stream_pos DESC LIMIT 1",
            room_id,
            event_type,
            state_key,
            pos,
        )
        return None if row is None else _row_to_event(row)

    async def state_changed_between(self, room_id: str, after: int, upto: int) -> list[StateKey]:
        rows = await self.db.fetchall(
            "SELECT DISTINCT type, state_key FROM events WHERE room_id = ? AND state_key IS NOT NULL"
            " AND stream_pos > ? AND stream_pos <= ?",
            room_id,
            after,
            upto,
        )
        return [(str(r[0]), str(r[1])) for r in rows]

    async def room_events(
        self, room_id: str, *, after: int, upto: int, limit: int, newest_first: bool
    ) -> list[StoredEvent]:
        """Events with `after < pos <= upto`, newest or oldest first."""
        order = "DESC" if newest_first else "ASC"
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM events WHERE room_id = ? AND stream_pos > ? AND stream_pos <= ?"
            f" ORDER BY stream_pos {order} LIMIT ?",
            room_id,
            after,
            upto,
            limit,
        )
        return [_row_to_event(row) for row in rows]

    async def rooms_with_events_between(self, after: int, upto: int, room_ids: set[str]) -> set[str]:
        rows = await self.db.fetchall(
            "SELECT DISTINCT room_id FROM events WHERE stream_pos > ? AND stream_pos <= ?", after, upto
        )
        return {str(r[0]) for r in rows} & room_ids

    async def relations(
        self,
        event_id: str,
        rel_type: str | None,
        event_type: str | None,
        *,
        before: int,
        after: int,
        limit: int,
        newest_first: bool,
    ) -> list[StoredEvent]:
        clauses = ["relates_to = ?", "stream_pos > ?", "stream_pos < ?"]
        args: list[Any] = [event_id, after, before]
        if rel_type is not None:
            clauses.append("rel_type = ?")
            args.append(rel_type)
        if event_type is not None:
            clauses.append("type = ?")
            args.append(event_type)
        order = "DESC" if newest_first else "ASC"
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM events WHERE {' AND '.join(clauses)} ORDER BY stream_pos {order} LIMIT ?",
            *args,
            limit,
        )
        return [_row_to_event(row) for row in rows]

    async def latest_edit(self, event_id: str, sender: str) -> StoredEvent | None:
        row = await self.db.fetchone(
            f"SELECT {_COLUMNS} FROM events WHERE relates_to = ? AND rel_type = 'm.replace' AND sender = ?"
            " AND redacted = 0 ORDER BY stream_pos DESC LIMIT 1",
            event_id,
            sender,
        )
        return None if row is None else _row_to_event(row)

    async def annotation_counts(self, event_id: str) -> list[tuple[str, str, int]]:
        rows = await self.db.fetchall(
            "SELECT type, json FROM events WHERE relates_to = ? AND rel_type = 'm.annotation' AND redacted = 0",
            event_id,
        )
        counts: dict[tuple[str, str], int] = {}
        for row in rows:
            key = orjson.loads(row[1]).get("content", {}).get("m.relates_to", {}).get("key")
            if isinstance(key, str):
                counts[(str(row[0]), key)] = counts.get((str(row[0]), key), 0) + 1
        return [(t, k, n) for (t, k), n in counts.items()]

    async def thread_summary(self, event_id: str) -> tuple[int, StoredEvent | None]:
        count = int(
            await self.db.fetchval(
                "SELECT COUNT(*) FROM events WHERE relates_to = ? AND rel_type = 'm.thread'", event_id
            )
        )
        if count == 0:
            return 0, None
        row = await self.db.fetchone(
            f"SELECT {_COLUMNS} FROM events WHERE relates_to = ? AND rel_type = 'm.thread'"
            " ORDER BY stream_pos DESC LIMIT 1",
            event_id,
        )
        return count, None if row is None else _row_to_event(row)

    async def thread_roots(self, room_id: str, before: int, limit: int) -> list[tuple[str, int]]:
        """(root event ID, position of its latest reply), most recently active first."""
        rows = await self.db.fetchall(
            "SELECT relates_to, MAX(stream_pos) AS latest FROM events WHERE room_id = ? AND rel_type = 'm.thread'"
            " GROUP BY relates_to HAVING MAX(stream_pos) < ? ORDER BY latest DESC LIMIT ?",
            room_id,
            before,
            limit,
        )
        return [(str(r[0]), int(r[1])) for r in rows]

    async def transaction_ids(self, event_ids: list[str], user_id: str, device_id: str) -> dict[str, str]:
        """event ID -> the transaction ID this device sent it with."""
        found: dict[str, str] = {}
        for start in range(0, len(event_ids), 500):
            chunk = event_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = await self.db.fetchall(
                f"SELECT event_id, txn_id FROM event_txns WHERE event_id IN ({marks}) AND user_id = ?"
                " AND device_id = ?",
                *chunk,
                user_id,
                device_id,
            )
            found.update({str(r[0]): str(r[1]) for r in rows})
        return found

    async def aggregated_relations(self, event_ids: list[str]) -> list[tuple[str, str, StoredEvent]]:
        """(target, rel_type, relating event) for unredacted edits and thread replies, oldest first."""
        found: list[tuple[str, str, StoredEvent]] = []
        for start in range(0, len(event_ids), 500):
            chunk = event_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = await self.db.fetchall(
                f"SELECT relates_to, rel_type, stream_pos, json, redacted FROM events WHERE relates_to IN ({marks})"
                " AND rel_type IN ('m.replace', 'm.thread') AND redacted = 0 ORDER BY stream_pos",
                *chunk,
            )
            found += [(str(r[0]), str(r[1]), StoredEvent(int(r[2]), orjson.loads(r[3]), bool(r[4]))) for r in rows]
        return found

    async def unread_events(
        self, room_id: str, after: int, reader: str, types: tuple[str, ...], limit: int
    ) -> list[dict[str, Any]]:
        """Unredacted events of `types` by others after position `after`, newest first (for unread counts)."""
        marks = ",".join("?" * len(types))
        rows = await self.db.fetchall(
            f"SELECT json FROM events WHERE room_id = ? AND stream_pos > ? AND sender != ? AND type IN ({marks})"
            " AND redacted = 0 ORDER BY stream_pos DESC LIMIT ?",
            room_id,
            after,
            reader,
            *types,
            limit,
        )
        return [orjson.loads(r[0]) for r in rows]

    async def history_visibility_changes(self, room_id: str) -> list[tuple[int, str]]:
        rows = await self.db.fetchall(
            "SELECT stream_pos, json FROM events WHERE room_id = ? AND type = 'm.room.history_visibility'"
            " AND state_key = '' ORDER BY stream_pos",
            room_id,
        )
        return [
            (int(r[0]), str(orjson.loads(r[1]).get("content", {}).get("history_visibility", "shared"))) for r in rows
        ]
