"""The database engines behind one small interface: SQLite (embedded default) and PostgreSQL (scale).

SQL is written once with `?` placeholders; the PostgreSQL engine rewrites them to `$n`. A transaction is
an async context manager yielding a `Connection`; everything executed through it commits together or
not at all.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal, Protocol

Row = Sequence[Any]
Dialect = Literal["sqlite", "postgres"]


class Connection(Protocol):
    """Statements run inside one transaction (or, on a `Database`, each in its own)."""

    dialect: Dialect

    async def execute(self, sql: str, *args: Any) -> None: ...

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...

    async def fetchone(self, sql: str, *args: Any) -> Row | None: ...

    async def fetchall(self, sql: str, *args: Any) -> list[Row]: ...

    async def fetchval(self, sql: str, *args: Any) -> Any: ...


class Database(Connection, Protocol):
    def transaction(self) -> Any:
        """`async with db.transaction() as txn:` — commit on success, roll back on error."""
        ...

    async def close(self) -> None: ...


IN_LIST_CHUNK = 500  # stays under SQLite's and asyncpg's bound-parameter limits


async def fetch_in(conn: Connection, sql: str, values: Sequence[Any], *args: Any) -> list[Row]:
    """Run `sql`, whose `{marks}` is the placeholder list of an IN clause, over `values` in chunks.

    `args` are bound after the IN list, so they must follow it in the statement.
    """
    rows: list[Row] = []
    for start in range(0, len(values), IN_LIST_CHUNK):
        chunk = values[start : start + IN_LIST_CHUNK]
        rows += await conn.fetchall(sql.format(marks=",".join("?" * len(chunk))), *chunk, *args)
    return rows


class SqliteConnection:
    """Runs statements on one sqlite3 connection, on the event loop thread.

    SQLite statements on indexed rows take microseconds; only the COMMIT (an fsync under
    synchronous=FULL) is slow, and that one is sent to a worker thread.
    """

    dialect: Dialect = "sqlite"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, *args: Any) -> None:
        self._conn.execute(sql, args)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self._conn.executemany(sql, rows)

    async def fetchone(self, sql: str, *args: Any) -> Row | None:
        row: Row | None = self._conn.execute(sql, args).fetchone()
        return row

    async def fetchall(self, sql: str, *args: Any) -> list[Row]:
        return self._conn.execute(sql, args).fetchall()

    async def fetchval(self, sql: str, *args: Any) -> Any:
        row = self._conn.execute(sql, args).fetchone()
        return None if row is None else row[0]


def _open_sqlite(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    # FULL: a commit is on disk before we answer 200 (DESIGN: reliability).
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=10000")
    # Deleted and overwritten content is zeroed in the file, not left in free space: a purged or spilled
    # message must be gone from disk (issue 14). Deletions are rare; inserts cost nothing more.
    conn.execute("PRAGMA secure_delete=ON")
    return conn


class SqliteDatabase(SqliteConnection):
    """One writer connection with group commit, one reader connection for everything else.

    Transaction bodies run one at a time on the writer, each inside a SAVEPOINT of a shared outer
    transaction; a committer task then commits the whole group with one fsync and only then lets each
    caller continue. Under concurrent writes this turns N fsyncs into one without weakening
    durability: no caller proceeds before its changes are on disk.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer = _open_sqlite(path)
        super().__init__(_open_sqlite(path))
        self._write_lock = asyncio.Lock()
        self._group_open = False
        self._waiting: list[asyncio.Future[None]] = []
        self._committer: asyncio.Task[None] | None = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqliteConnection]:
        async with self._write_lock:
            if not self._group_open:
                self._writer.execute("BEGIN IMMEDIATE")
                self._group_open = True
            self._writer.execute("SAVEPOINT txn")
            try:
                yield SqliteConnection(self._writer)
            except BaseException:
                if self._writer.in_transaction:
                    self._writer.execute("ROLLBACK TO txn")
                    self._writer.execute("RELEASE txn")
                    if not self._waiting:
                        # Nothing of this group is waiting to commit: end it now. Left open, it would hold
                        # the database's write lock until the next write (other programs, like the admin
                        # CLI, would find the database locked).
                        self._writer.execute("ROLLBACK")
                        self._group_open = False
                else:
                    self._group_open = False  # SQLite already rolled back the whole group (e.g. disk full)
                raise
            self._writer.execute("RELEASE txn")
            committed = asyncio.get_running_loop().create_future()
            self._waiting.append(committed)
            if self._committer is None or self._committer.done():
                self._committer = asyncio.create_task(self._commit_group())
        await committed

    async def _commit_group(self) -> None:
        # Waiting for the lock lets every body already queued join this group.
        async with self._write_lock:
            group, self._waiting = self._waiting, []
            if not self._group_open:
                for future in group:
                    if not future.done():
                        future.set_exception(RuntimeError("the write group was rolled back by SQLite"))
                return
            self._group_open = False
            try:
                await asyncio.to_thread(self._writer.execute, "COMMIT")
            except BaseException as exc:
                if self._writer.in_transaction:
                    self._writer.execute("ROLLBACK")
                for future in group:
                    if not future.done():
                        future.set_exception(exc if isinstance(exc, Exception) else RuntimeError("commit cancelled"))
                return
        for future in group:
            if not future.done():
                future.set_result(None)

    async def execute(self, sql: str, *args: Any) -> None:
        # A write outside an explicit transaction still goes through the writer.
        async with self.transaction() as txn:
            await txn.execute(sql, *args)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        async with self.transaction() as txn:
            await txn.executemany(sql, rows)

    async def close(self) -> None:
        if self._committer is not None:
            await asyncio.shield(self._committer)
        async with self._write_lock:
            if self._group_open:
                self._writer.execute("COMMIT")
                self._group_open = False
            self._writer.close()
            self._conn.close()


def is_unique_violation(exc: BaseException) -> bool:
    """A unique constraint refused a row (PostgreSQL's SQLSTATE 23505 as asyncpg reports it; SQLite's
    IntegrityError)."""
    return getattr(exc, "sqlstate", None) == "23505" or (
        isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc)
    )


_PLACEHOLDER = re.compile(r"\?")


def to_postgres_placeholders(sql: str) -> str:
    counter = iter(range(1, 10_000))
    return _PLACEHOLDER.sub(lambda _: f"${next(counter)}", sql)


class PostgresConnection:
    dialect: Dialect = "postgres"

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def execute(self, sql: str, *args: Any) -> None:
        await self._conn.execute(_pg(sql), *args)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._conn.executemany(_pg(sql), list(rows))

    async def fetchone(self, sql: str, *args: Any) -> Row | None:
        row: Row | None = await self._conn.fetchrow(_pg(sql), *args)
        return row

    async def fetchall(self, sql: str, *args: Any) -> list[Row]:
        return list(await self._conn.fetch(_pg(sql), *args))

    async def fetchval(self, sql: str, *args: Any) -> Any:
        return await self._conn.fetchval(_pg(sql), *args)


_PG_CACHE: dict[str, str] = {}


def _pg(sql: str) -> str:
    converted = _PG_CACHE.get(sql)
    if converted is None:
        converted = _PG_CACHE[sql] = to_postgres_placeholders(sql)
    return converted


async def _keep_session(conn: Any) -> None:
    """Pool release hook. asyncpg's default resets every connection it takes back (advisory locks,
    cursors, LISTEN, settings) with an extra round trip per query; Chancery leaves no session state
    behind (locks are transaction-scoped, LISTEN has its own connection), so there is nothing to reset."""


class PostgresDatabase(PostgresConnection):
    def __init__(self, pool: Any, dsn: str) -> None:
        super().__init__(pool)
        self.pool = pool
        self.dsn = dsn

    @classmethod
    async def connect(cls, dsn: str, *, min_size: int = 2, max_size: int = 20) -> PostgresDatabase:
        import asyncpg

        pool = await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size, reset=_keep_session)
        return cls(pool, dsn)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PostgresConnection]:
        async with self.pool.acquire() as conn, conn.transaction():
            yield PostgresConnection(conn)

    async def close(self) -> None:
        await self.pool.close()
