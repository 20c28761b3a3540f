"""Versioned schema migrations, applied at start on both engines."""

from __future__ import annotations

import logging
from importlib import resources

from .database import Database

log = logging.getLogger(__name__)


_DIALECT_SUFFIXES = {"sqlite": ".sqlite.sql", "postgres": ".postgres.sql"}


def _migration_files(dialect: str) -> list[tuple[int, str, str]]:
    """Every migration for this engine: `NNN_name.sql` runs on both, `NNN_name.<dialect>.sql` on one engine
    only (where the engines' facilities differ, e.g. full-text search). Same-numbered files run together."""
    schema_dir = resources.files("chancery.storage") / "schema"
    scripts: dict[int, list[tuple[str, str]]] = {}
    for entry in schema_dir.iterdir():
        name = entry.name
        if not name.endswith(".sql"):
            continue
        other_dialects = [s for d, s in _DIALECT_SUFFIXES.items() if d != dialect]
        if any(name.endswith(suffix) for suffix in other_dialects):
            continue
        number = int(name.split("_", 1)[0])
        scripts.setdefault(number, []).append((name, entry.read_text(encoding="utf-8")))
    found = []
    for number, parts in scripts.items():
        parts.sort(key=lambda part: (part[0].endswith(_DIALECT_SUFFIXES[dialect]), part[0]))
        found.append((number, parts[0][0], "\n".join(text for _, text in parts)))
    return sorted(found)


def _statements(script: str) -> list[str]:
    lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
    return [statement.strip() for statement in "\n".join(lines).split(";") if statement.strip()]


async def apply_migrations(db: Database) -> int:
    """Apply every migration newer than the database's version; return the resulting version."""
    async with db.transaction() as txn:
        if txn.dialect == "postgres":
            # Concurrent CREATE TABLE IF NOT EXISTS can fail on PostgreSQL (pg_type unique violation) when
            # several processes start on a fresh database: serialise it.
            await txn.execute("SELECT pg_advisory_xact_lock(7205761193)")
        await txn.execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL, name TEXT NOT NULL)")
    current = await db.fetchval("SELECT MAX(version) FROM schema_version") or 0
    for number, name, script in _migration_files(db.dialect):
        if number <= current:
            continue
        async with db.transaction() as txn:
            if txn.dialect == "postgres":
                # Processes starting together must not apply the same migration twice.
                await txn.execute("LOCK TABLE schema_version IN EXCLUSIVE MODE")
                if (await txn.fetchval("SELECT MAX(version) FROM schema_version") or 0) >= number:
                    continue
            for statement in _statements(script):
                await txn.execute(statement)
            await txn.execute("INSERT INTO schema_version (version, name) VALUES (?, ?)", number, name)
        log.info("applied schema migration %s", name)
        current = number
    return int(current)
