"""Direct SQL against a test server's database, for checks no client can make (rows left behind) and for
setting up data older code could have stored. Statements use `?` placeholders on both engines."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from typing import Any

import asyncpg

from tests.serverproc import ServerProcess


async def sql(server: ServerProcess, statement: str, *args: Any) -> list[tuple[Any, ...]]:
    """Run one statement on the server's database and return its rows (if any)."""
    if server.engine == "postgres":
        counter = iter(range(1, 1000))
        converted = re.sub(r"\?", lambda _: f"${next(counter)}", statement)
        conn = await asyncpg.connect(server.database)
        try:
            return [tuple(row) for row in await conn.fetch(converted, *args)]
        finally:
            await conn.close()
    return await asyncio.to_thread(_sqlite, server, statement, args)


def _sqlite(server: ServerProcess, statement: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(server.data_dir / "chancery.db", timeout=30, isolation_level=None)
    try:
        return [tuple(row) for row in conn.execute(statement, args).fetchall()]
    finally:
        conn.close()
