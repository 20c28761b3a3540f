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

    async def entries(self, after: int = 0, upto: int = 2**62, batch: int = 1000) -> AsyncIterator[Entry]:
        """Every entry with `after` < seq <= `upto` in seq order, read in batches (the log can be large)."""
        while True:
            rows = await self.db.fetchall(
                f"SELECT {_ENTRY_COLUMNS} FROM audit_log WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
                after,
                upto,
                batch,
            )
            for row in rows:
                yield row_to_entry(row)
            if len(rows) < batch:
                return
            after = int(rows[-1][0])

    async def first_seq_since(self, ts: int) -> int | None:
        value = await self.db.fetchval("SELECT MIN(seq) FROM audit_log WHERE ts >= ?", ts)
        return None if value is None else int(value)

    async def query(self, where: list[tuple[str, Any]], limit: int) -> list[Entry]:
        """Entries matching every `column op ?` condition of `where`, newest first."""
        clause = " AND ".join(condition for condition, _ in where) or "1 = 1"
        rows = await self.db.fetchall(
            f"SELECT {_ENTRY_COLUMNS} FROM audit_log WHERE {clause} ORDER BY seq DESC LIMIT ?",
            *(value for _, value in where),
            limit,
        )
        return [row_to_entry(row) for row in rows]

    # -- checkpoints and pruning --------------------------------------------------------------------------

    async def lock_tail(self, txn: Connection) -> tuple[int, str]:
        """The chain's end (seq, hash), locked until `txn` ends: no entry is appended meanwhile."""
        row = await txn.fetchone("UPDATE audit_tail SET seq = seq WHERE id = 1 RETURNING seq, hash")
        assert row is not None
        return int(row[0]), str(row[1])

    async def add_checkpoint(self, txn: Connection, seq: int, ts: int, hash_: str, signed: dict[str, Any]) -> None:
        await txn.execute(
            "INSERT INTO audit_checkpoints (seq, ts, hash, signed) VALUES (?, ?, ?, ?) ON CONFLICT (seq) DO NOTHING",
            seq,
            ts,
            hash_,
            orjson.dumps(signed).decode(),
        )

    async def checkpoints(self, before: int | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        """Signed checkpoints, newest first, with seq < `before` when given."""
        rows = await self.db.fetchall(
            "SELECT signed FROM audit_checkpoints WHERE seq < ? ORDER BY seq DESC LIMIT ?",
            before if before is not None else 2**62,
            limit,
        )
        return [orjson.loads(row[0]) for row in rows]

    async def latest_checkpoint(self, conn: Connection | None = None) -> tuple[int, int] | None:
        """(seq, ts) of the newest checkpoint."""
        row = await (conn or self.db).fetchone("SELECT seq, ts FROM audit_checkpoints ORDER BY seq DESC LIMIT 1")
        return None if row is None else (int(row[0]), int(row[1]))

    async def prunable_checkpoint(self, txn: Connection, cutoff_ts: int) -> tuple[int, str] | None:
        """The newest checkpoint (seq, hash) whose entries are all older than `cutoff_ts`."""
        row = await txn.fetchone(
            "SELECT seq, hash FROM audit_checkpoints WHERE seq <= (SELECT MAX(seq) FROM audit_log WHERE ts < ?)"
            " ORDER BY seq DESC LIMIT 1",
            cutoff_ts,
        )
        return None if row is None else (int(row[0]), str(row[1]))

    async def prune_upto(self, txn: Connection, seq: int, hash_: str) -> int:
        """Delete the entries up to `seq` and the checkpoints before it; `seq`'s checkpoint anchors the rest."""
        deleted = await txn.fetchval("SELECT COUNT(*) FROM audit_log WHERE seq <= ?", seq)
        await txn.execute("DELETE FROM audit_log WHERE seq <= ?", seq)
        await txn.execute("DELETE FROM audit_checkpoints WHERE seq < ?", seq)
        await txn.execute("UPDATE audit_tail SET anchor_seq = ?, anchor_hash = ? WHERE id = 1", seq, hash_)
        return int(deleted)
