"""The single stream counter that orders everything a client can sync.

Every change a client can sync (events, account data, receipts, typing, presence, to-device, device
lists) takes the next position from one counter row. On PostgreSQL the row stays locked until the
transaction commits, so positions become visible strictly in order: a reader that has seen position N
has seen every position below N (DESIGN: the multi-writer stream-ordering hazard). Allocate the
position as late as possible in a transaction to keep that lock short.
"""

from __future__ import annotations

from .database import Connection


async def next_position(txn: Connection) -> int:
    value = await txn.fetchval("UPDATE stream_counters SET value = value + 1 WHERE name = 'main' RETURNING value")
    return int(value)


async def current_position(conn: Connection) -> int:
    return int(await conn.fetchval("SELECT value FROM stream_counters WHERE name = 'main'"))
