"""The send scenario with the retention purge running (issue 14): how much a purge in progress costs sends
and deliveries.

Chancery gets a [retention] policy whose purge runs every second; before the send scenario an expired
backlog is made (a room filled with messages through the API, then dated 40 days back directly in the
database, since no client can send old messages), so the purge deletes it batch by batch while the 16
senders send. The figures sit next to the plain send scenario's in the same table.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from loadgen import Client, SendParams, bounded, register_many, run_send

CHANCERY_RETENTION = """\
[retention]
purge = true
interval_s = 1
batch_size = 100
[retention.unclassified]
default_days = 30
"""
BACKLOG_AGE_MS = 40 * 24 * 3600 * 1000


@dataclass(frozen=True)
class PurgeLoadParams:
    backlog: int = 20_000  # expired messages for the purge to delete while the send phase runs
    backlog_concurrency: int = 16


async def seed_expired_backlog(base_url: str, count: int, concurrency: int) -> str:
    """A room holding `count` messages (plus one recent message, which the purge keeps); its ID."""
    client = Client.open(base_url)
    try:
        owner = (await register_many(client, 1, 1, prefix="backlog"))[0]
        room = await client.create_room(owner, name="expired backlog")
        path = f"/_matrix/client/v3/rooms/{quote(room, safe='')}/send/m.room.message/"

        async def one(i: int) -> None:
            await client.setup_call("backlog", "PUT", f"{path}b{i}", owner.token, {"msgtype": "m.text", "body": f"{i}"})

        await bounded(concurrency, (lambda i=i: one(i) for i in range(count)))  # type: ignore[misc]
        await one(count)  # the room's latest event stays whatever its age
        return room
    finally:
        await client.close()


def _age_sql(room_id: str) -> tuple[str, list[Any]]:
    last = "(SELECT last_event_id FROM rooms WHERE room_id = ?)"
    statement = f"UPDATE events SET origin_server_ts = ? WHERE room_id = ? AND state_key IS NULL AND event_id <> {last}"
    return statement, [int(time.time() * 1000) - BACKLOG_AGE_MS, room_id, room_id]


async def age_backlog(room_id: str, sqlite_path: Path | None, pg_dsn: str | None) -> None:
    statement, args = _age_sql(room_id)
    if pg_dsn is not None:
        import asyncpg

        conn = await asyncpg.connect(pg_dsn)
        try:
            await conn.execute(statement.replace("?", "$1", 1).replace("?", "$2", 1).replace("?", "$3", 1), *args)
        finally:
            await conn.close()
        return
    assert sqlite_path is not None

    def run() -> None:
        conn = sqlite3.connect(sqlite_path, timeout=60, isolation_level=None)
        try:
            conn.execute(statement, args)
        finally:
            conn.close()

    await asyncio.to_thread(run)


async def count_backlog(room_id: str, sqlite_path: Path | None, pg_dsn: str | None) -> int:
    statement = "SELECT COUNT(*) FROM events WHERE room_id = ? AND state_key IS NULL"
    if pg_dsn is not None:
        import asyncpg

        conn = await asyncpg.connect(pg_dsn)
        try:
            return int(await conn.fetchval(statement.replace("?", "$1"), room_id))
        finally:
            await conn.close()
    assert sqlite_path is not None
    conn = sqlite3.connect(sqlite_path, timeout=60)
    try:
        return int(conn.execute(statement, (room_id,)).fetchone()[0])
    finally:
        conn.close()


async def run_send_with_purge(
    base_url: str,
    send: SendParams,
    load: PurgeLoadParams,
    pids: list[int],
    sqlite_path: Path | None,
    pg_dsn: str | None,
) -> dict[str, Any]:
    room = await seed_expired_backlog(base_url, load.backlog, load.backlog_concurrency)
    await age_backlog(room, sqlite_path, pg_dsn)  # the purge takes it up within a second
    before = await count_backlog(room, sqlite_path, pg_dsn)
    result = await run_send(base_url, send, pids)
    after = await count_backlog(room, sqlite_path, pg_dsn)
    # Purged while the scenario ran (its setup included); the send phase itself is a part of that time.
    return {**result, "purged_during_scenario": before - after, "backlog_left": after}
