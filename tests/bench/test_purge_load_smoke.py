"""The purge-running send scenario's harness (bench/purge_load.py), in small, against a server of its own."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import cleanup_server, start_configured_server
from tests.serverproc import ServerProcess
from tests.sql import sql

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import loadgen
import purge_load


@pytest.fixture
async def purging(tmp_path: Path, server: ServerProcess) -> AsyncIterator[ServerProcess]:
    proc = await asyncio.to_thread(start_configured_server, tmp_path, server.engine, purge_load.CHANCERY_RETENTION)
    yield proc
    await asyncio.to_thread(cleanup_server, proc)


async def test_send_with_the_purge_running(purging: ServerProcess) -> None:
    assert purging.proc is not None
    sqlite_path = None if purging.engine == "postgres" else purging.data_dir / "chancery.db"
    pg_dsn = purging.database if purging.engine == "postgres" else None
    send = loadgen.SendParams(
        users=3, rooms=1, senders=2, messages=20, sync_timeout_ms=2000, send_phase_limit_s=60, delivery_timeout_s=30
    )
    result = await purge_load.run_send_with_purge(
        purging.base_url, send, purge_load.PurgeLoadParams(backlog=60), [purging.proc.pid], sqlite_path, pg_dsn
    )
    assert result["errors"] == 0, result["error_kinds"]
    assert result["deliveries_seen"] == result["deliveries_expected"] == 40
    assert result["purged_during_scenario"] + result["backlog_left"] >= 60
    room = await _backlog_room(purging)
    deadline = time.monotonic() + 20
    while await purge_load.count_backlog(room, sqlite_path, pg_dsn) > 1:  # the latest message stays
        assert time.monotonic() < deadline, "the purge did not take the backlog"
        await asyncio.sleep(0.2)


async def _backlog_room(server: ServerProcess) -> str:
    rows = await sql(server, "SELECT room_id FROM events WHERE type = 'm.room.name' AND json LIKE '%expired backlog%'")
    return str(rows[0][0])
