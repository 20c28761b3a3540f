"""Storage tests run on each engine: `db` is a migrated database, fresh per test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from chancery.storage.database import Database, PostgresDatabase, SqliteDatabase
from chancery.storage.migrations import apply_migrations
from tests.conftest import ENGINES
from tests.serverproc import create_pg_database, drop_pg_database


@pytest.fixture(params=ENGINES)
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        database: Database = SqliteDatabase(tmp_path / "test.db")
        await apply_migrations(database)
        yield database
        await database.close()
    else:
        dsn = await asyncio.to_thread(create_pg_database)
        database = await PostgresDatabase.connect(dsn)
        await apply_migrations(database)
        yield database
        await database.close()
        await asyncio.to_thread(drop_pg_database, dsn)
