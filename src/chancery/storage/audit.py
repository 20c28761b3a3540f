"""The audit log's rows: appending under the tail lock, reading entries and checkpoints back."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson

from ..events.audit_chain import Entry
from .database import Connection, Database, Row

_ENTRY_COLUMNS = (
    "seq, ts, actor_user, actor_device, actor_ip, via, job, action, target, outcome, reason, details, prev_hash, hash"
)


def row_to_entry(row: Row) -> Entry:
    details = None if row[11] is None else orjson.loads(row[11])
    return Entry(
        int(row[0]),
        int(row[1]),
        row[2],
        row[3],
        row[4],
        str(row[5]),
        row[6],
        str(row[7]),
        row[8],
        str(row[9]),
        row[10],
        details,
        str(row[12]),
        str(row[13]),
    )


class AuditStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def append(self, txn: Connection, make_entry: Callable[[int, str], Entry]) -> Entry:
        """Append the entry `make_entry(seq, prev_hash)` builds, at the chain's end, inside `txn`.

        The UPDATE takes the tail row's lock (PostgreSQL) until `txn` commits, so concurrent writers, in any
        process, link one after another; on SQLite the write transaction is already exclusive. Call it
        before taking stream positions: every audited transaction then takes the two locks in one order.
        """
        row = await txn.fetchone("UPDATE audit_tail SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
        assert row is not None, "migration 010 creates the audit tail row"
        entry = make_entry(int(row[0]), str(row[1]))
        details = None if entry.details is None else orjson.dumps(entry.details, option=orjson.OPT_SORT_KEYS).decode()
        await txn.execute(
            f"INSERT INTO audit_log ({_ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            entry.seq,
            entry.ts,
            entry.user_id,
            entry.device_id,
            entry.ip,
            entry.via,
            entry.job,
            entry.action,
            entry.target,
            entry.outcome,
            entry.reason,
            details,
            entry.prev_hash,
            entry.hash,
        )
        await txn.execute("UPDATE audit_tail SET hash = ? WHERE id = 1", entry.hash)
        return entry

    async def tail(self, conn: Connection | None = None) -> tuple[int, str, int, str]:
        """(last seq, its hash, anchor seq, anchor hash)."""
        row = await (conn or self.db).fetchone("SELECT seq, hash, anchor_seq, anchor_hash FROM audit_tail WHERE id = 1")
        assert row is not None
        return int(row[0]), str(row[1]), int(row[2]), str(row[3])

    async def entries(self, after: int = 0, batch: int = 1000) -> AsyncIterator[Entry]:
        """Every entry with seq > `after` in seq order, read in batches (the log can be large)."""
        while True:
            rows = await self.db.fetchall(
                f"SELECT {_ENTRY_COLUMNS} FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?", after, batch
            )
            for row in rows:
                yield row_to_entry(row)
            if len(rows) < batch:
                return
            after = int(rows[-1][0])

    async def query(self, where: list[tuple[str, Any]], limit: int) -> list[Entry]:
        """Entries matching every `column op ?` condition of `where`, newest first."""
        clause = " AND ".join(condition for condition, _ in where) or "1 = 1"
        rows = await self.db.fetchall(
            f"SELECT {_ENTRY_COLUMNS} FROM audit_log WHERE {clause} ORDER BY seq DESC LIMIT ?",
            *(value for _, value in where),
            limit,
        )
        return [row_to_entry(row) for row in rows]
