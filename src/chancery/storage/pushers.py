"""Pushers, the durable queue of notifications they deliver, and the notifications a user was sent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from .database import Connection, Database, fetch_in

_PUSHER_COLUMNS = (
    "pusher_id, user_id, device_id, app_id, pushkey, kind, app_display_name, device_display_name,"
    " profile_tag, lang, data, created_ts"
)
_DELIVERY_COLUMNS = _PUSHER_COLUMNS + ", failures"
# Whether event `e` mentions the pusher's user `p.user_id` (or @room).
_MENTIONS_PUSHER_USER = (
    "EXISTS (SELECT 1 FROM event_mentions m WHERE m.room_id = e.room_id AND m.stream_pos = e.stream_pos"
    " AND (m.user_id = p.user_id OR m.user_id = '@room'))"
)


@dataclass(frozen=True)
class Pusher:
    pusher_id: str
    user_id: str
    device_id: str | None
    app_id: str
    pushkey: str
    kind: str
    app_display_name: str
    device_display_name: str
    profile_tag: str | None
    lang: str
    data: dict[str, Any]
    created_ts: int


@dataclass(frozen=True)
class ClaimedPusher:
    """A pusher leased for delivery, with its failed deliveries in a row so far."""

    pusher: Pusher
    failures: int


@dataclass(frozen=True)
class QueuedPush:
    stream_pos: int
    room_id: str
    event_id: str
    highlight: bool
    created_ts: int


@dataclass(frozen=True)
class PushTarget:
    """A pusher that should hear of the event at `stream_pos`."""

    pusher_id: str
    user_id: str
    stream_pos: int
    room_id: str
    event_id: str
    highlight: bool


@dataclass(frozen=True)
class NotifiedEvent:
    stream_pos: int
    room_id: str
    event_id: str
    highlight: bool


def _pusher(row: Any) -> Pusher:
    return Pusher(
        str(row[0]),
        str(row[1]),
        None if row[2] is None else str(row[2]),
        str(row[3]),
        str(row[4]),
        str(row[5]),
        str(row[6]),
        str(row[7]),
        None if row[8] is None else str(row[8]),
        str(row[9]),
        orjson.loads(row[10]),
        int(row[11]),
    )


class PusherStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- pushers ------------------------------------------------------------------------------------

    async def pushers_of(self, user_id: str) -> list[Pusher]:
        rows = await self.db.fetchall(
            f"SELECT {_PUSHER_COLUMNS} FROM pushers WHERE user_id = ? ORDER BY created_ts, pusher_id", user_id
        )
        return [_pusher(row) for row in rows]

    async def count_of(self, txn: Connection, user_id: str) -> int:
        return int(await txn.fetchval("SELECT COUNT(*) FROM pushers WHERE user_id = ?", user_id))

    async def upsert(self, txn: Connection, pusher: Pusher) -> None:
        """Add the pusher, or update the user's pusher with the same app ID and push key."""
        await txn.execute(
            f"INSERT INTO pushers ({_PUSHER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (user_id, app_id, pushkey) DO UPDATE SET device_id = excluded.device_id,"
            " kind = excluded.kind, app_display_name = excluded.app_display_name,"
            " device_display_name = excluded.device_display_name, profile_tag = excluded.profile_tag,"
            " lang = excluded.lang, data = excluded.data",
            pusher.pusher_id,
            pusher.user_id,
            pusher.device_id,
            pusher.app_id,
            pusher.pushkey,
            pusher.kind,
            pusher.app_display_name,
            pusher.device_display_name,
            pusher.profile_tag,
            pusher.lang,
            orjson.dumps(pusher.data).decode(),
            pusher.created_ts,
        )

    async def delete(self, txn: Connection, user_id: str, app_id: str, pushkey: str) -> bool:
        """The user's pusher for this app ID and push key, with its queue; True if there was one."""
        return await self._delete_where(txn, "user_id = ? AND app_id = ? AND pushkey = ?", user_id, app_id, pushkey)

    async def delete_for_other_users(self, txn: Connection, user_id: str, app_id: str, pushkey: str) -> None:
        await self._delete_where(txn, "app_id = ? AND pushkey = ? AND user_id <> ?", app_id, pushkey, user_id)

    async def delete_for_devices(self, txn: Connection, user_id: str, device_ids: list[str]) -> None:
        for device_id in device_ids:
            await self._delete_where(txn, "user_id = ? AND device_id = ?", user_id, device_id)

    async def delete_except_device(self, txn: Connection, user_id: str, device_id: str | None) -> None:
        await self._delete_where(txn, "user_id = ? AND (device_id IS NULL OR device_id <> ?)", user_id, device_id or "")

    async def delete_all_of(self, txn: Connection, user_id: str) -> None:
        await self._delete_where(txn, "user_id = ?", user_id)

    async def _delete_where(self, txn: Connection, where: str, *args: Any) -> bool:
        rows = await txn.fetchall(f"DELETE FROM pushers WHERE {where} RETURNING pusher_id", *args)
        for row in rows:
            await txn.execute("DELETE FROM push_queue WHERE pusher_id = ?", row[0])
        return bool(rows)

    # -- fan-out: events -> queue ---------------------------------------------------------------------

    async def lock_fanout_position(self, txn: Connection) -> int:
        """How far the stream has been fanned out; on PostgreSQL the row stays locked until commit, so
        one process at a time fans out and each event is queued once."""
        lock = " FOR UPDATE" if txn.dialect == "postgres" else ""
        return int(await txn.fetchval(f"SELECT stream_pos FROM push_progress WHERE name = 'fanout'{lock}"))

    async def set_fanout_position(self, txn: Connection, pos: int) -> None:
        await txn.execute("UPDATE push_progress SET stream_pos = ? WHERE name = 'fanout'", pos)

    async def push_targets(self, txn: Connection, after: int, upto: int) -> list[PushTarget]:
        """Every (pusher, event) in (after, upto] the pusher's user should be told of: events that notify or
        mention a member other than the sender (counted as in /sync) who was joined then and still is, and
        invites still pending."""
        mentioned = _MENTIONS_PUSHER_USER
        rows = await txn.fetchall(
            "SELECT p.pusher_id, p.user_id, e.stream_pos, e.room_id, e.event_id,"
            f" CASE WHEN {mentioned} THEN 1 ELSE 0 END FROM events e"
            " JOIN current_state s ON s.room_id = e.room_id AND s.type = 'm.room.member' AND s.membership = 'join'"
            # Joined before the event (a member who joined since may not be allowed to see it).
            " AND s.stream_pos < e.stream_pos"
            " JOIN pushers p ON p.user_id = s.state_key"
            " WHERE e.stream_pos > ? AND e.stream_pos <= ? AND e.sender <> p.user_id AND e.redacted = 0"
            f" AND (e.notifies = 1 OR {mentioned})"
            " UNION ALL"
            " SELECT p.pusher_id, p.user_id, e.stream_pos, e.room_id, e.event_id, 0 FROM events e"
            " JOIN current_state s ON s.room_id = e.room_id AND s.type = 'm.room.member'"
            " AND s.state_key = e.state_key AND s.event_id = e.event_id AND s.membership = 'invite'"
            " JOIN pushers p ON p.user_id = e.state_key"
            " WHERE e.stream_pos > ? AND e.stream_pos <= ? AND e.type = 'm.room.member' AND e.sender <> p.user_id",
            after,
            upto,
            after,
            upto,
        )
        return [PushTarget(str(r[0]), str(r[1]), int(r[2]), str(r[3]), str(r[4]), bool(r[5])) for r in rows]

    async def users_with_rule_edits(self, user_ids: list[str]) -> set[str]:
        """Those of the users who changed their push rules (the rest have the server defaults)."""
        rows = await fetch_in(self.db, "SELECT user_id FROM push_rules WHERE user_id IN ({marks})", user_ids)
        return {str(row[0]) for row in rows}

    async def enqueue(self, txn: Connection, targets: list[PushTarget], now: int) -> None:
        await txn.executemany(
            "INSERT INTO push_queue (pusher_id, stream_pos, room_id, event_id, highlight, created_ts)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [(t.pusher_id, t.stream_pos, t.room_id, t.event_id, int(t.highlight), now) for t in targets],
        )

    # -- delivery -------------------------------------------------------------------------------------

    async def claim_due(self, now: int, lease_until: int, limit: int) -> list[ClaimedPusher]:
        """Lease pushers with notifications queued and no backoff running, at most one process per pusher. On
        PostgreSQL rows another process is claiming are skipped (SKIP LOCKED), and the lease keeps them
        apart until it expires."""
        skip_locked = " FOR UPDATE SKIP LOCKED" if self.db.dialect == "postgres" else ""
        async with self.db.transaction() as txn:
            rows = await txn.fetchall(
                "UPDATE pushers SET claimed_until = ? WHERE claimed_until < ? AND retry_at <= ? AND pusher_id IN ("
                " SELECT p.pusher_id FROM pushers p WHERE p.claimed_until < ? AND p.retry_at <= ?"
                f" AND p.pusher_id IN (SELECT pusher_id FROM push_queue) LIMIT ?{skip_locked})"
                f" RETURNING {_DELIVERY_COLUMNS}",
                lease_until,
                now,
                now,
                now,
                now,
                limit,
            )
        return [ClaimedPusher(_pusher(row), int(row[12])) for row in rows]

    async def next_due_ts(self) -> int | None:
        """When a pusher with queued notifications may next be delivered (its backoff and any lease over)."""
        value = await self.db.fetchval(
            "SELECT MIN(CASE WHEN p.retry_at > p.claimed_until THEN p.retry_at ELSE p.claimed_until END)"
            # From the queue (usually empty) to the pushers, not the other way round.
            " FROM pushers p WHERE p.pusher_id IN (SELECT pusher_id FROM push_queue)"
        )
        return None if value is None else int(value)

    async def queued(self, pusher_id: str, limit: int) -> list[QueuedPush]:
        rows = await self.db.fetchall(
            "SELECT stream_pos, room_id, event_id, highlight, created_ts FROM push_queue WHERE pusher_id = ?"
            " ORDER BY stream_pos LIMIT ?",
            pusher_id,
            limit,
        )
        return [QueuedPush(int(r[0]), str(r[1]), str(r[2]), bool(r[3]), int(r[4])) for r in rows]

    async def finish_delivery(self, pusher_id: str, done_upto: int | None, failures: int, retry_at: int) -> None:
        """After a delivery round: drop the notifications delivered (a prefix of the queue, up to `done_upto`),
        record `failures` in a row (0: the gateway took the last one) with the backoff until `retry_at`, and
        release the lease, in one transaction."""
        async with self.db.transaction() as txn:
            if done_upto is not None:
                await txn.execute(
                    "DELETE FROM push_queue WHERE pusher_id = ? AND stream_pos <= ?", pusher_id, done_upto
                )
            await txn.execute(
                "UPDATE pushers SET failures = ?, retry_at = ?, claimed_until = 0 WHERE pusher_id = ?",
                failures,
                retry_at,
                pusher_id,
            )

    async def delete_rejected(self, user_id: str, app_id: str, pushkey: str) -> None:
        async with self.db.transaction() as txn:
            await self.delete(txn, user_id, app_id, pushkey)

    async def drop_orphans(self) -> None:
        """Queue rows of a pusher deleted while its events were being fanned out."""
        await self.db.execute("DELETE FROM push_queue WHERE pusher_id NOT IN (SELECT pusher_id FROM pushers)")

    # -- GET /notifications ---------------------------------------------------------------------------

    async def notified_events(self, user_id: str, before: int, limit: int, only_highlight: bool) -> list[NotifiedEvent]:
        """Events that notified the user in rooms they are joined to, newest first, below `before`: the
        events /sync counts as notifications (by someone else, not redacted). Two index range scans per
        room, notifying events and mentions, merged here: the newest `limit` of all that are mentions are
        among the newest `limit` mentions, so the merge knows which to highlight."""
        joined = (
            "SELECT room_id FROM current_state WHERE type = 'm.room.member' AND state_key = ? AND membership = 'join'"
        )
        mentions = await self.db.fetchall(
            "SELECT DISTINCT e.stream_pos, e.room_id, e.event_id FROM event_mentions m"
            " JOIN events e ON e.stream_pos = m.stream_pos"
            f" WHERE m.room_id IN ({joined}) AND (m.user_id = ? OR m.user_id = '@room') AND m.stream_pos < ?"
            " AND e.sender <> ? AND e.redacted = 0 ORDER BY e.stream_pos DESC LIMIT ?",
            user_id,
            user_id,
            before,
            user_id,
            limit,
        )
        found = {int(r[0]): NotifiedEvent(int(r[0]), str(r[1]), str(r[2]), True) for r in mentions}
        if not only_highlight:
            notifying = await self.db.fetchall(
                "SELECT e.stream_pos, e.room_id, e.event_id FROM events e"
                f" WHERE e.room_id IN ({joined}) AND e.notifies = 1 AND e.stream_pos < ? AND e.sender <> ?"
                " AND e.redacted = 0 ORDER BY e.stream_pos DESC LIMIT ?",
                user_id,
                before,
                user_id,
                limit,
            )
            for r in notifying:
                found.setdefault(int(r[0]), NotifiedEvent(int(r[0]), str(r[1]), str(r[2]), False))
        return [found[pos] for pos in sorted(found, reverse=True)[:limit]]
