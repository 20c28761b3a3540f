"""Events, room state and transaction IDs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from ..events.notifications import Notification
from ..events.relations import relation_of
from .database import IN_LIST_CHUNK, Connection, Database, fetch_in, is_unique_violation
from .search_index import PG_INDEX_STEP, index_event, pg_index_args, unindex_event
from .stream import next_position

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
# State events whose value the room's row carries too (event type -> content key, which is the column).
_ROOM_RULE_COLUMNS = {"m.room.join_rules": "join_rule", "m.room.history_visibility": "history_visibility"}


def _row_to_event(row: Any) -> StoredEvent:
    return StoredEvent(int(row[0]), orjson.loads(row[1]), bool(row[2]))


row_to_event = _row_to_event  # for the other stores that read `stream_pos, json, redacted` rows


class EventStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- writes (inside the caller's transaction) -------------------------------------------------

    async def insert_event(self, txn: Connection, event: dict[str, Any], notification: Notification) -> int:
        """Persist an event at the next stream position and return that position.

        Call it last in a transaction: from here to the commit the stream counter's row stays locked
        on PostgreSQL, so there it is one statement (take the position and insert, in one round trip).
        """
        relates_to, rel_type = relation_of(event)
        columns = (
            event["event_id"],
            event["room_id"],
            event["type"],
            event.get("state_key"),
            event["sender"],
            event["origin_server_ts"],
            relates_to,
            rel_type,
            orjson.dumps(event).decode(),
            int(notification.notifies),
        )
        insert = (
            "INSERT INTO events (stream_pos, event_id, room_id, type, state_key, sender, origin_server_ts,"
            " relates_to, rel_type, json, notifies)"
        )
        if txn.dialect == "postgres":
            pos = int(
                await txn.fetchval(
                    "WITH next AS (UPDATE stream_counters SET value = value + 1 WHERE name = 'main' RETURNING value)"
                    f" {insert} SELECT next.value, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM next RETURNING stream_pos",
                    *columns,
                )
            )
        else:
            pos = await next_position(txn)
            await txn.execute(f"{insert} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", pos, *columns)
        if notification.mentions:
            await txn.executemany(
                "INSERT INTO event_mentions (room_id, user_id, stream_pos) VALUES (?, ?, ?)",
                [(event["room_id"], user_id, pos) for user_id in sorted(notification.mentions)],
            )
        await index_event(txn, pos, event)
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
            if event["type"] in _ROOM_RULE_COLUMNS and event["state_key"] == "":
                value = event["content"].get(_ROOM_RULE_COLUMNS[event["type"]])
                await txn.execute(
                    f"UPDATE rooms SET {_ROOM_RULE_COLUMNS[event['type']]} = ? WHERE room_id = ?",
                    value if isinstance(value, str) else None,
                    event["room_id"],
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
        return pos

    async def append_if_latest(
        self,
        event: dict[str, Any],
        expected_latest: str | None,
        txn_key: tuple[str, str, str] | None,
        now: int,
        notification: Notification,
    ) -> int | None:
        """PostgreSQL: store a stateless event as the room's next one, in a single statement (its own
        transaction), only if the room's latest event is still `expected_latest`; return its position, or
        None if another writer got there first (or stored the same transaction ID meanwhile).

        The room row, the stream counter, the event, its transaction ID and its mentions change together,
        and the counter's row is locked only while PostgreSQL runs this one statement.
        """
        if "state_key" in event:
            raise ValueError("state events go through insert_event in a transaction")
        relates_to, rel_type = relation_of(event)
        user_id, device_id, txn_id = txn_key or (None, None, None)
        sql = (
            "WITH room AS (UPDATE rooms SET last_event_id = ?, last_depth = ? WHERE room_id = ? AND last_event_id = ?"
            " RETURNING 1),"
            " next AS (UPDATE stream_counters SET value = value + 1 WHERE name = 'main' AND EXISTS (SELECT 1 FROM room)"
            " RETURNING value),"
            " event AS (INSERT INTO events (stream_pos, event_id, room_id, type, state_key, sender, origin_server_ts,"
            " relates_to, rel_type, json, notifies) SELECT next.value, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ? FROM next"
            " RETURNING stream_pos),"
            " txn AS (INSERT INTO event_txns (user_id, device_id, txn_id, event_id, created_ts)"
            " SELECT ?, ?, ?, ?, ? FROM event WHERE CAST(? AS TEXT) IS NOT NULL),"
            " mentions AS (INSERT INTO event_mentions (room_id, user_id, stream_pos)"
            " SELECT ?, mentioned, event.stream_pos FROM event, unnest(CAST(? AS TEXT[])) AS mentioned),"
            f"{PG_INDEX_STEP}"
            " SELECT stream_pos FROM event"
        )
        args = (
            *(event["event_id"], event["depth"], event["room_id"], expected_latest),
            *(event["event_id"], event["room_id"], event["type"], event["sender"], event["origin_server_ts"]),
            *(relates_to, rel_type, orjson.dumps(event).decode(), int(notification.notifies)),
            *(user_id, device_id, txn_id, event["event_id"], now, user_id),
            *(event["room_id"], sorted(notification.mentions)),
            *pg_index_args(event),
        )
        try:
            pos = await self.db.fetchval(sql, *args)
        except Exception as exc:
            if is_unique_violation(exc):
                return None  # the same transaction ID, stored by a concurrent repeat
            raise
        return None if pos is None else int(pos)

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
        await unindex_event(txn, event_id)
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
        for row in await fetch_in(self.db, f"SELECT {_COLUMNS} FROM events WHERE event_id IN ({{marks}})", ids):
            stored = _row_to_event(row)
            found[stored.event_id] = stored
        return found

    async def room_of(self, event_id: str, conn: Connection | None = None) -> str | None:
        """The room an event belongs to; None for an unknown event."""
        value = await (conn or self.db).fetchval("SELECT room_id FROM events WHERE event_id = ?", event_id)
        return None if value is None else str(value)

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
        room_id: str,
        event_id: str,
        rel_type: str | None,
        event_type: str | None,
        *,
        before: int,
        after: int,
        limit: int,
        newest_first: bool,
    ) -> list[StoredEvent]:
        """Events of `room_id` relating to `event_id` (a relation from another room is never one)."""
        clauses = ["relates_to = ?", "room_id = ?", "stream_pos > ?", "stream_pos < ?"]
        args: list[Any] = [event_id, room_id, after, before]
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

    async def thread_roots(self, room_id: str, before: int, limit: int) -> list[tuple[str, int]]:
        """(root event ID, position of its latest reply), most recently active first; only roots in the room."""
        rows = await self.db.fetchall(
            "SELECT r.relates_to, MAX(r.stream_pos) AS latest FROM events r"
            " JOIN events root ON root.event_id = r.relates_to AND root.room_id = r.room_id"
            " WHERE r.room_id = ? AND r.rel_type = 'm.thread'"
            " GROUP BY r.relates_to HAVING MAX(r.stream_pos) < ? ORDER BY latest DESC LIMIT ?",
            room_id,
            before,
            limit,
        )
        return [(str(r[0]), int(r[1])) for r in rows]

    async def transaction_ids(self, event_ids: list[str], user_id: str, device_id: str) -> dict[str, str]:
        """event ID -> the transaction ID this device sent it with."""
        # Looked up by event ID alone (an event has at most one row) and matched to the device here: with
        # the user in the WHERE clause PostgreSQL scans all the user's transactions against the IN list.
        rows = await fetch_in(
            self.db,
            "SELECT event_id, txn_id, user_id, device_id FROM event_txns WHERE event_id IN ({marks})",
            event_ids,
        )
        return {str(r[0]): str(r[1]) for r in rows if r[2] == user_id and r[3] == device_id}

    async def aggregated_relations(self, event_ids: list[str]) -> list[tuple[str, str, StoredEvent]]:
        """(target, rel_type, relating event) for unredacted edits and thread replies, oldest first. The caller
        checks that each relating event is in its target's room."""
        rows = await fetch_in(
            self.db,
            "SELECT relates_to, rel_type, stream_pos, json, redacted FROM events WHERE relates_to IN ({marks})"
            " AND rel_type IN ('m.replace', 'm.thread') AND redacted = 0 ORDER BY stream_pos",
            event_ids,
        )
        return [(str(r[0]), str(r[1]), StoredEvent(int(r[2]), orjson.loads(r[3]), bool(r[4]))) for r in rows]

    async def unread_counts_between(
        self, windows: list[tuple[str, int]], user_id: str, upto: int, cap: int
    ) -> dict[str, tuple[int, int, int]]:
        """room -> (notifications, highlights, redactions) in each room's window (lo, upto].

        Counted: events by someone else, not redacted. Notifications are notifying events plus
        mentions of the user (or @room) in events that notify only those mentioned; highlights are
        those mentions; redactions counts m.room.redaction events (which may un-count earlier events).
        """
        mention_match = (
            "FROM event_mentions m JOIN events e ON e.stream_pos = m.stream_pos WHERE m.room_id = w.room_id"
            " AND m.user_id IN (?, '@room') AND m.stream_pos > w.lo AND m.stream_pos <= ? AND e.sender <> ?"
            " AND e.redacted = 0"
        )
        found: dict[str, tuple[int, int, int]] = {}
        for start in range(0, len(windows), IN_LIST_CHUNK // 2):
            chunk = windows[start : start + IN_LIST_CHUNK // 2]
            values = ", ".join("(?, CAST(? AS BIGINT))" for _ in chunk)
            rows = await self.db.fetchall(
                f"WITH w(room_id, lo) AS (VALUES {values})"
                " SELECT w.room_id,"
                " (SELECT COUNT(*) FROM (SELECT 1 AS one FROM events e WHERE e.room_id = w.room_id AND e.notifies = 1"
                " AND e.stream_pos > w.lo AND e.stream_pos <= ? AND e.sender <> ? AND e.redacted = 0 LIMIT ?) n),"
                f" (SELECT COUNT(DISTINCT m.stream_pos) {mention_match}),"
                f" (SELECT COUNT(DISTINCT m.stream_pos) {mention_match} AND e.notifies = 0),"
                " (SELECT COUNT(*) FROM events e WHERE e.room_id = w.room_id AND e.type = 'm.room.redaction'"
                " AND e.stream_pos > w.lo AND e.stream_pos <= ?)"
                " FROM w",
                *[value for window in chunk for value in window],
                upto,
                user_id,
                cap,
                user_id,
                upto,
                user_id,
                user_id,
                upto,
                user_id,
                upto,
            )
            for room_id, notifying, mentions, quiet_mentions, redactions in rows:
                found[str(room_id)] = (int(notifying) + int(quiet_mentions), int(mentions), int(redactions))
        return found

    async def recent_events_in_rooms(
        self, room_ids: list[str], *, after: int, upto: int, count: int
    ) -> dict[str, list[StoredEvent]]:
        """Per room, its newest `count` events with `after < pos <= upto`, newest first, in one query."""
        # Each room's cut-off is one short backward index scan; the join then reads only those rows
        # (a window function would number every event of the window first). MATERIALIZED keeps
        # PostgreSQL from re-running the cut-off subquery for every joined event row.
        materialized = "MATERIALIZED " if self.db.dialect == "postgres" else ""
        rows = await fetch_in(
            self.db,
            "WITH wanted AS (SELECT room_id FROM rooms WHERE room_id IN ({marks})),"
            f" cut AS {materialized}(SELECT w.room_id, (SELECT x.stream_pos FROM events x WHERE x.room_id = w.room_id"
            " AND x.stream_pos > ? AND x.stream_pos <= ? ORDER BY x.stream_pos DESC LIMIT 1 OFFSET ?) AS oldest"
            " FROM wanted w)"
            " SELECT e.stream_pos, e.json, e.redacted FROM cut JOIN events e ON e.room_id = cut.room_id"
            " WHERE e.stream_pos > ? AND e.stream_pos <= ? AND e.stream_pos >= COALESCE(cut.oldest, 0)"
            " ORDER BY e.stream_pos DESC",
            room_ids,
            after,
            upto,
            max(0, count - 1),
            after,
            upto,
        )
        found: dict[str, list[StoredEvent]] = {room_id: [] for room_id in room_ids}
        for row in rows:
            stored = _row_to_event(row)
            found[stored.event["room_id"]].append(stored)
        return found

    async def current_state_ids_of_rooms(self, room_ids: list[str]) -> dict[str, dict[StateKey, tuple[str, int]]]:
        """room -> state key -> (event ID, position) of its current state, without loading events."""
        rows = await fetch_in(
            self.db,
            "SELECT room_id, type, state_key, event_id, stream_pos FROM current_state WHERE room_id IN ({marks})",
            room_ids,
        )
        found: dict[str, dict[StateKey, tuple[str, int]]] = {room_id: {} for room_id in room_ids}
        for row in rows:
            found[str(row[0])][(str(row[1]), str(row[2]))] = (str(row[3]), int(row[4]))
        return found

    async def current_state_of_rooms(self, room_ids: list[str]) -> dict[str, dict[StateKey, StoredEvent]]:
        rows = await fetch_in(
            self.db,
            "SELECT e.stream_pos, e.json, e.redacted FROM current_state c JOIN events e ON e.event_id = c.event_id"
            " WHERE c.room_id IN ({marks})",
            room_ids,
        )
        found: dict[str, dict[StateKey, StoredEvent]] = {room_id: {} for room_id in room_ids}
        for stored in map(_row_to_event, rows):
            event = stored.event
            found[event["room_id"]][(event["type"], event["state_key"])] = stored
        return found

    async def redactions_of(self, event_ids: list[str]) -> dict[str, str]:
        """redacted event ID -> the ID of the redaction that redacted it."""
        rows = await fetch_in(
            self.db, "SELECT event_id, redaction_id FROM redactions WHERE event_id IN ({marks})", event_ids
        )
        return {str(r[0]): str(r[1]) for r in rows}

    async def history_visibility_changes_in_rooms(self, room_ids: list[str]) -> dict[str, list[tuple[int, str]]]:
        rows = await fetch_in(
            self.db,
            "SELECT room_id, stream_pos, json FROM events WHERE room_id IN ({marks})"
            " AND type = 'm.room.history_visibility' AND state_key = '' ORDER BY stream_pos",
            room_ids,
        )
        found: dict[str, list[tuple[int, str]]] = {room_id: [] for room_id in room_ids}
        for row in rows:
            found[str(row[0])].append((int(row[1]), _history_visibility(row[2])))
        return found

    async def history_visibility_changes(self, room_id: str) -> list[tuple[int, str]]:
        rows = await self.db.fetchall(
            "SELECT stream_pos, json FROM events WHERE room_id = ? AND type = 'm.room.history_visibility'"
            " AND state_key = '' ORDER BY stream_pos",
            room_id,
        )
        return [(int(r[0]), _history_visibility(r[1])) for r in rows]


def _history_visibility(event_json: str) -> str:
    return str(orjson.loads(event_json).get("content", {}).get("history_visibility", "shared"))
