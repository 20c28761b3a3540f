"""`chancery port-db`: move a pilot's SQLite database to PostgreSQL for production.

The target gets the current schema (migrations), must be empty, and receives every table of the SQLite
schema (discovered from the file, so tables added by later migrations move too) in batches inside ONE
transaction: either the whole database arrives with matching row counts, or nothing does. The stream
counter row is copied like any other, so sync tokens handed out by the pilot stay valid.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sqlite3
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .storage.database import PostgresDatabase, SqliteDatabase
from .storage.migrations import apply_migrations
from .storage.search import SearchStore

DEFAULT_BATCH_ROWS = 1000
# Our own bookkeeping: the target's migrations write it; versions are compared instead of copied.
_NOT_COPIED = {"schema_version"}
# The full-text search index is engine-specific (SQLite FTS5 and its shadow tables): rebuilt on the target.
_SEARCH_INDEX = "event_search"


class PortError(Exception):
    """The move cannot be done as asked; the message says why and what to do."""


@dataclass(frozen=True)
class TableReport:
    name: str
    rows: int


def add_port_db_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "port-db",
        help="move a (stopped) server's SQLite database to an empty PostgreSQL database",
    )
    parser.add_argument("--from", dest="source", required=True, help="sqlite:PATH of the SQLite database file")
    parser.add_argument("--to", dest="target", required=True, help="postgresql://user@host/db of an empty database")
    parser.add_argument("--batch-rows", type=int, default=DEFAULT_BATCH_ROWS, help="rows per COPY batch")
    parser.set_defaults(func=cmd_port_db)


def cmd_port_db(args: argparse.Namespace) -> None:
    if not args.source.startswith("sqlite:") or args.source == "sqlite:":
        sys.exit("--from takes sqlite:PATH, e.g. sqlite:chancery-data/chancery.db")
    if not args.target.startswith(("postgresql://", "postgres://")):
        sys.exit("--to takes a postgresql:// URL")
    if args.batch_rows < 1:
        sys.exit("--batch-rows must be at least 1")
    source = Path(args.source.removeprefix("sqlite:"))
    try:
        reports = asyncio.run(port_database(source, args.target, batch_rows=args.batch_rows))
    except PortError as exc:
        sys.exit(f"port-db: {exc}")
    width = max(len(r.name) for r in reports)
    print(f"{'table':<{width}}  rows (copied = checked on the target)")
    for report in reports:
        print(f"{report.name:<{width}}  {report.rows}")
    print(
        f"Moved {sum(r.rows for r in reports)} rows in {len(reports)} tables to {redact_dsn(args.target)}.\n"
        "Start the server with --database (or database = ... in chancery.toml) pointing there, keeping the same"
        " data directory (signing key, media)."
    )


def redact_dsn(dsn: str) -> str:
    parts = urlsplit(dsn)
    if parts.password is None:
        return dsn
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


async def port_database(source: Path, target_dsn: str, *, batch_rows: int = DEFAULT_BATCH_ROWS) -> list[TableReport]:
    if not source.is_file():
        raise PortError(f"{source} does not exist")
    # Bring the pilot's schema to this version first (as its next start would), so both sides match.
    pilot = SqliteDatabase(source)
    try:
        source_version = await apply_migrations(pilot)
    finally:
        await pilot.close()
    reader = sqlite3.connect(f"file:{source}?mode=ro", uri=True, isolation_level=None)
    try:
        reader.execute("BEGIN")  # one snapshot for every table
        target = await PostgresDatabase.connect(target_dsn, min_size=1, max_size=1)
        try:
            target_version = await apply_migrations(target)
            if target_version != source_version:
                raise PortError(
                    f"schema versions differ (SQLite {source_version}, PostgreSQL {target_version});"
                    " run port-db with the same Chancery version that created the target"
                )
            return await _copy_all(reader, target, batch_rows)
        finally:
            await target.close()
    finally:
        reader.close()


async def _copy_all(reader: sqlite3.Connection, target: PostgresDatabase, batch_rows: int) -> list[TableReport]:
    tables = [
        str(r[0])
        for r in reader.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
        if str(r[0]) not in _NOT_COPIED and not str(r[0]).startswith(_SEARCH_INDEX)
    ]
    target_columns = await _target_columns(target)
    seeded = _tables_seeded_by_migrations()
    columns = {table: _source_columns(reader, table) for table in tables}
    for table in tables:
        if table not in target_columns:
            raise PortError(f"table {table} is missing on the target")
        missing = [c for c in columns[table] if c not in target_columns[table]]
        if missing:
            raise PortError(f"table {table} lacks columns {', '.join(missing)} on the target")
    await _refuse_non_empty(target, [t for t in tables if t not in seeded])
    reports = []
    async with target.pool.acquire() as conn, conn.transaction():
        for table in tables:
            if table in seeded:
                # Rows the migrations inserted (e.g. the stream counter at 0) give way to the pilot's.
                await conn.execute(f'DELETE FROM "{table}"')
            coerce = [_coercer(target_columns[table][c]) for c in columns[table]]
            for batch in _batches(reader, table, columns[table], batch_rows):
                records = [tuple(f(v) for f, v in zip(coerce, row, strict=True)) for row in batch]
                await conn.copy_records_to_table(table, records=records, columns=columns[table])
            expected = int(reader.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])
            copied = int(await conn.fetchval(f'SELECT COUNT(*) FROM "{table}"'))
            if copied != expected:
                raise PortError(f"table {table}: {copied} rows on the target, {expected} in SQLite; nothing was moved")
            reports.append(TableReport(table, copied))
    reports.append(TableReport(f"{_SEARCH_INDEX} (rebuilt)", await SearchStore(target).rebuild()))
    await target.execute("ANALYZE")
    return reports


async def _target_columns(target: PostgresDatabase) -> dict[str, dict[str, str]]:
    rows = await target.fetchall(
        "SELECT table_name, column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = current_schema()"
    )
    found: dict[str, dict[str, str]] = {}
    for table, column, data_type in rows:
        found.setdefault(str(table), {})[str(column)] = str(data_type)
    return found


def _source_columns(reader: sqlite3.Connection, table: str) -> list[str]:
    return [str(r[1]) for r in reader.execute(f'PRAGMA table_info("{table}")')]


def _tables_seeded_by_migrations() -> set[str]:
    schema_dir = resources.files("chancery.storage") / "schema"
    seeded: set[str] = set()
    for entry in schema_dir.iterdir():
        if entry.name.endswith(".sql"):
            text = entry.read_text(encoding="utf-8")
            seeded.update(m.lower() for m in re.findall(r"INSERT\s+INTO\s+\"?(\w+)", text, flags=re.IGNORECASE))
    return seeded


async def _refuse_non_empty(target: PostgresDatabase, tables: list[str]) -> None:
    used = [t for t in tables if await target.fetchval(f'SELECT EXISTS (SELECT 1 FROM "{t}")')]
    if await target.fetchval("SELECT EXISTS (SELECT 1 FROM stream_counters WHERE value <> 0)"):
        used.append("stream_counters")
    if used:
        raise PortError(
            f"the target database is not empty ({', '.join(sorted(used))} hold rows); port into a new, empty database"
        )


def _batches(reader: sqlite3.Connection, table: str, columns: list[str], size: int) -> Iterator[list[Any]]:
    names = ", ".join(f'"{c}"' for c in columns)
    cursor = reader.execute(f'SELECT {names} FROM "{table}"')
    while batch := cursor.fetchmany(size):
        yield batch


def _coercer(data_type: str) -> Callable[[Any], Any]:
    """SQLite values to what asyncpg's binary COPY expects for the target column's type."""

    def keep_none(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
        return lambda value: None if value is None else convert(value)

    if data_type in ("bigint", "integer", "smallint"):
        return keep_none(int)
    if data_type in ("text", "character varying", "character", "json", "jsonb"):
        return keep_none(lambda v: v.decode("utf-8") if isinstance(v, bytes) else str(v))
    if data_type == "bytea":
        return keep_none(lambda v: v.encode("utf-8") if isinstance(v, str) else bytes(v))
    if data_type == "boolean":
        return keep_none(bool)
    if data_type in ("double precision", "real"):
        return keep_none(float)
    if data_type == "numeric":
        return keep_none(lambda v: Decimal(str(v)))
    return lambda value: value
