"""Simplified sliding sync connections: the `pos` tokens handed out and what each sent of every room."""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from .database import IN_LIST_CHUNK, Connection, Database, fetch_in
from .ephemeral import Receipt
from .events import StoredEvent, row_to_event


@dataclass(frozen=True)
class ConnectionRow:
    conn_key: str
    next_pos: int
    last_used_ts: int
    max_requested_pos: int


@dataclass(frozen=True)
class SentRoom:
    """What the connection has sent of a room: everything up to `sent_upto`, with this room config."""

    sent_upto: int
    timeline_limit: int
    required_state: str  # the canonical form of the required_state it was sent with


class SlidingSyncStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def connection(self, user_id: str, device_id: str, conn_id: str) -> ConnectionRow | None:
        row = await self.db.fetchone(
            "SELECT conn_key, next_pos, last_used_ts, max_requested_pos FROM sliding_sync_connections"
            " WHERE user_id = ? AND device_id = ? AND conn_id = ?",
            user_id,
            device_id,
            conn_id,
        )
        return None if row is None else ConnectionRow(str(row[0]), int(row[1]), int(row[2]), int(row[3]))

    async def position(self, conn_key: str, pos: int) -> tuple[int, int] | None:
        """(parent, stream position) of a `pos` of the connection; None when unknown."""
        row = await self.db.fetchone(
            "SELECT parent, stream_pos FROM sliding_sync_positions WHERE conn_key = ? AND pos = ?", conn_key, pos
        )
        return None if row is None else (int(row[0]), int(row[1]))

    async def sent_rooms(self, conn_key: str, pos: int, parent: int) -> dict[str, SentRoom]:
        """room -> what the responses leading to `pos` (its own and those up to its parent) sent of it."""
        rows = await self.db.fetchall(
            "SELECT room_id, pos, sent_upto, timeline_limit, required_state FROM sliding_sync_rooms"
            " WHERE conn_key = ? AND (pos <= ? OR pos = ?) ORDER BY pos",
            conn_key,
            parent,
            pos,
        )
        return {str(r[0]): SentRoom(int(r[2]), int(r[3]), str(r[4])) for r in rows}

    async def create_connection(
        self, txn: Connection, user_id: str, device_id: str, conn_id: str, conn_key: str, now: int
    ) -> None:
        """Replace any connection of that (user, device, conn_id) by a new, empty one."""
        await self.delete_connections(txn, user_id, [device_id], conn_id)
        await txn.execute(
            "INSERT INTO sliding_sync_connections (user_id, device_id, conn_id, conn_key, next_pos, last_used_ts)"
            " VALUES (?, ?, ?, ?, 1, ?)",
            user_id,
            device_id,
            conn_id,
            conn_key,
            now,
        )

    async def connection_ids(self, user_id: str, device_id: str) -> list[tuple[str, int]]:
        """(conn_id, last used) of the device's connections, least recently used first."""
        rows = await self.db.fetchall(
            "SELECT conn_id, last_used_ts FROM sliding_sync_connections WHERE user_id = ? AND device_id = ?"
            " ORDER BY last_used_ts",
            user_id,
            device_id,
        )
        return [(str(r[0]), int(r[1])) for r in rows]

    async def delete_connections(
        self, txn: Connection, user_id: str, device_ids: list[str], conn_id: str | None = None
    ) -> None:
        """Forget the devices' connections (all of them, or the one named `conn_id`)."""
        for device_id in device_ids:
            where = "user_id = ? AND device_id = ?" + ("" if conn_id is None else " AND conn_id = ?")
            args = [user_id, device_id] + ([] if conn_id is None else [conn_id])
            keys = f"SELECT conn_key FROM sliding_sync_connections WHERE {where}"
            await txn.execute(f"DELETE FROM sliding_sync_rooms WHERE conn_key IN ({keys})", *args)
            await txn.execute(f"DELETE FROM sliding_sync_positions WHERE conn_key IN ({keys})", *args)
            await txn.execute(f"DELETE FROM sliding_sync_connections WHERE {where}", *args)

    async def delete_idle(self, txn: Connection, used_before: int) -> None:
        """Forget every connection not used since `used_before` (ms)."""
        keys = "SELECT conn_key FROM sliding_sync_connections WHERE last_used_ts < ?"
        await txn.execute(f"DELETE FROM sliding_sync_rooms WHERE conn_key IN ({keys})", used_before)
        await txn.execute(f"DELETE FROM sliding_sync_positions WHERE conn_key IN ({keys})", used_before)
        await txn.execute("DELETE FROM sliding_sync_connections WHERE last_used_ts < ?", used_before)

    async def advance(self, txn: Connection, conn_key: str, pos: int, parent: int, now: int) -> None:
        """The client moved on to `pos` (an answer to `parent`): forget every other position (older ones are spent,
        other answers to `parent` were not processed), their room rows, and rows a newer one supersedes."""
        await txn.execute("DELETE FROM sliding_sync_positions WHERE conn_key = ? AND pos <> ?", conn_key, pos)
        await txn.execute(
            "DELETE FROM sliding_sync_rooms WHERE conn_key = ? AND pos > ? AND pos <> ?", conn_key, parent, pos
        )
        await txn.execute(
            "DELETE FROM sliding_sync_rooms WHERE conn_key = ? AND pos < ? AND EXISTS (SELECT 1 FROM"
            " sliding_sync_rooms newer WHERE newer.conn_key = sliding_sync_rooms.conn_key"
            " AND newer.room_id = sliding_sync_rooms.room_id AND newer.pos > sliding_sync_rooms.pos"
            " AND newer.pos <= ?)",
            conn_key,
            pos,
            pos,
        )
        await txn.execute(
            "UPDATE sliding_sync_connections SET max_requested_pos = ?, last_used_ts = ? WHERE conn_key = ?",
            pos,
            now,
            conn_key,
        )

    async def is_latest_request(self, txn: Connection, conn_key: str, pos: int) -> bool:
        """Whether no request has come with a `pos` after this one (else the client has moved on)."""
        sql = "SELECT max_requested_pos FROM sliding_sync_connections WHERE conn_key = ?"
        value = await txn.fetchval(sql, conn_key)
        return value is not None and int(value) == pos

    async def move_position(self, txn: Connection, conn_key: str, pos: int, stream_pos: int, now: int) -> None:
        """An answer that sent nothing: the same `pos` now stands for the later stream position."""
        await txn.execute(
            "UPDATE sliding_sync_positions SET stream_pos = ? WHERE conn_key = ? AND pos = ?", stream_pos, conn_key, pos
        )
        await txn.execute("UPDATE sliding_sync_connections SET last_used_ts = ? WHERE conn_key = ?", now, conn_key)

    async def add_position(
        self, txn: Connection, conn_key: str, parent: int, stream_pos: int, sent: dict[str, SentRoom], now: int
    ) -> int | None:
        """A new `pos` answering `parent`, for a response that sent `sent`; None when the connection is gone."""
        value = await txn.fetchval(
            "UPDATE sliding_sync_connections SET next_pos = next_pos + 1, last_used_ts = ?"
            " WHERE conn_key = ? RETURNING next_pos - 1",
            now,
            conn_key,
        )
        if value is None:
            return None
        pos = int(value)
        await txn.execute(
            "INSERT INTO sliding_sync_positions (conn_key, pos, parent, stream_pos) VALUES (?, ?, ?, ?)",
            conn_key,
            pos,
            parent,
            stream_pos,
        )
        await txn.executemany(
            "INSERT INTO sliding_sync_rooms (conn_key, room_id, pos, sent_upto, timeline_limit, required_state)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(conn_key, room_id, pos, s.sent_upto, s.timeline_limit, s.required_state) for room_id, s in sent.items()],
        )
        return pos


async def room_activity(
    db: Database, room_ids: list[str], bump_types: tuple[str, ...], upto: int
) -> dict[str, tuple[int, int]]:
    """room -> (position of its latest event, of its latest event of `bump_types`), as of `upto`; 0 for none.

    Each is one lookup in an existing index (events_room_pos; events_state_history, whose state_key column is
    NULL for a message, '' for the create event and a user ID for a beacon), whatever the size of the room, so
    the send path carries no extra index for it."""
    latest = "(SELECT MAX(stream_pos) FROM events e WHERE e.room_id = r.room_id AND e.stream_pos <= ?)"
    columns = [latest]
    args: list[object] = [upto]
    for event_type in bump_types:
        state_key = _BUMP_STATE_KEYS.get(event_type, "e.state_key IS NULL")
        columns.append(
            "(SELECT MAX(stream_pos) FROM events e WHERE e.room_id = r.room_id AND e.type = ?"
            f" AND {state_key} AND e.stream_pos <= ?)"
        )
        args += [event_type, upto]
    found: dict[str, tuple[int, int]] = {}
    rows = []
    for start in range(0, len(room_ids), IN_LIST_CHUNK):
        chunk = room_ids[start : start + IN_LIST_CHUNK]
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT r.room_id, {', '.join(columns)} FROM rooms r WHERE r.room_id IN ({marks})"
        rows += await db.fetchall(sql, *args, *chunk)
    for row in rows:
        found[str(row[0])] = (int(row[1] or 0), max((int(v) for v in row[2:] if v is not None), default=0))
    return found


# How the bump event types that are state events are found in events_state_history; the others have no state key.
_BUMP_STATE_KEYS = {
    "m.room.create": "e.state_key = ''",
    "m.beacon_info": "e.state_key > ''",
    "org.matrix.msc3672.beacon_info": "e.state_key > ''",
}


_KEYS_PER_QUERY = 200


async def current_state_by_keys(
    db: Database, room_id: str, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], StoredEvent]:
    """The room's current state events of those (type, state_key) keys that it has."""
    found: dict[tuple[str, str], StoredEvent] = {}
    for start in range(0, len(keys), _KEYS_PER_QUERY):
        chunk = keys[start : start + _KEYS_PER_QUERY]
        condition = " OR ".join(["(c.type = ? AND c.state_key = ?)"] * len(chunk))
        rows = await db.fetchall(
            "SELECT e.stream_pos, e.json, e.redacted FROM current_state c JOIN events e ON e.event_id = c.event_id"
            f" WHERE c.room_id = ? AND ({condition})",
            room_id,
            *[part for key in chunk for part in key],
        )
        for stored in map(row_to_event, rows):
            found[(stored.event["type"], stored.event["state_key"])] = stored
    return found


async def own_read_positions(db: Database, user_id: str, room_ids: list[str], after: int, upto: int) -> dict[str, int]:
    """room -> stream position of the user's latest read receipt there, for those moved in (after, upto]."""
    rows = await fetch_in(
        db,
        "SELECT room_id, MAX(stream_pos) FROM receipts WHERE room_id IN ({marks}) AND user_id = ?"
        " AND receipt_type IN ('m.read', 'm.read.private') AND stream_pos > ? AND stream_pos <= ? GROUP BY room_id",
        room_ids,
        user_id,
        after,
        upto,
    )
    return {str(r[0]): int(r[1]) for r in rows}


_RECEIPT_COLUMNS = "room_id, receipt_type, user_id, thread_id, event_id, event_stream_pos, ts"


async def receipts_on(
    db: Database, room_ids: list[str], event_ids: list[str], user_id: str, upto: int
) -> list[Receipt]:
    """The rooms' receipts on those events, and the user's own receipts there, as of `upto`."""
    found: dict[tuple[str, str, str, str], Receipt] = {}
    for start in range(0, max(len(event_ids), 1), IN_LIST_CHUNK):
        chunk = event_ids[start : start + IN_LIST_CHUNK]
        rows = await fetch_in(
            db,
            f"SELECT {_RECEIPT_COLUMNS} FROM receipts WHERE room_id IN ({{marks}}) AND stream_pos <= ? AND"
            f" (user_id = ? OR event_id IN ({','.join('?' * len(chunk)) or 'NULL'}))",
            room_ids,
            upto,
            user_id,
            *chunk,
        )
        for r in rows:
            receipt = Receipt(str(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), int(r[5]), int(r[6]))
            found[(receipt.room_id, receipt.receipt_type, receipt.user_id, receipt.thread_id)] = receipt
    return list(found.values())


async def room_tags(db: Database, user_id: str) -> dict[str, set[str]]:
    """room -> the names of the user's tags on it (`m.tag` room account data)."""
    rows = await db.fetchall("SELECT room_id, content FROM account_data WHERE user_id = ? AND type = 'm.tag'", user_id)
    found: dict[str, set[str]] = {}
    for room_id, content in rows:
        tags = orjson.loads(content).get("tags")
        if isinstance(tags, dict) and tags:
            found[str(room_id)] = set(tags)
    return found


async def direct_rooms(db: Database, user_id: str) -> tuple[set[str], int]:
    """The rooms the user's `m.direct` account data names, and the stream position it was last set at (0: never)."""
    row = await db.fetchone(
        "SELECT content, stream_pos FROM account_data WHERE user_id = ? AND room_id = '' AND type = 'm.direct'", user_id
    )
    if row is None:
        return set(), 0
    content = orjson.loads(row[0])
    rooms = {r for ids in content.values() if isinstance(ids, list) for r in ids if isinstance(r, str)}
    return rooms, int(row[1])
