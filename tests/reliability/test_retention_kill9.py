"""A retention purge killed with SIGKILL half-way resumes after the restart and finishes, leaving nothing of
the expired messages behind (issue 14)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.client import Api
from tests.conftest import cleanup_server, start_configured_server
from tests.serverproc import ServerProcess
from tests.sql import sql

MESSAGES = 150
# One message per batch and a run every second: the purge takes seconds, long enough to be killed mid-way.
CONFIG = "[retention]\npurge = true\ninterval_s = 1\nbatch_size = 1\n[retention.unclassified]\ndefault_days = 30\n"


@pytest.fixture
async def purging(tmp_path: Path, server: ServerProcess) -> AsyncIterator[ServerProcess]:
    proc = await asyncio.to_thread(start_configured_server, tmp_path, server.engine, CONFIG)
    yield proc
    await asyncio.to_thread(cleanup_server, proc)


async def expired_left(server: ServerProcess, room: str, last: str) -> int:
    rows = await sql(
        server,
        "SELECT COUNT(*) FROM events WHERE room_id = ? AND type = 'm.room.message' AND event_id <> ?",
        room,
        last,
    )
    return int(rows[0][0])


async def test_a_killed_purge_resumes(purging: ServerProcess) -> None:
    api = Api(purging.base_url)
    try:
        alice = await api.register()
        room = await api.create_room(alice)
        for i in range(MESSAGES):
            await api.send(alice, room, f"old {i}")
        last = await api.send(alice, room, "the latest, kept")
        old = int(time.time() * 1000) - 40 * 24 * 3600 * 1000
        await sql(
            purging,
            "UPDATE events SET origin_server_ts = ? WHERE room_id = ? AND type = 'm.room.message' AND event_id <> ?",
            old,
            room,
            last,
        )
        deadline = time.monotonic() + 30
        while (left := await expired_left(purging, room, last)) == MESSAGES:
            assert time.monotonic() < deadline, "the purge never started"
            await asyncio.sleep(0.02)
        assert 0 < left < MESSAGES, "the purge finished before it could be interrupted"
        purging.kill()
        interrupted_at = await expired_left(purging, room, last)
        assert interrupted_at > 0

        await asyncio.to_thread(purging.start)
        deadline = time.monotonic() + 60
        while await expired_left(purging, room, last) > 0:
            assert time.monotonic() < deadline, "the purge did not resume"
            await asyncio.sleep(0.1)
        # Nothing derived from the purged messages is left; the latest message and the room remain usable.
        if purging.engine == "postgres":
            search_rows = "SELECT COUNT(*) FROM event_search WHERE vector @@ to_tsquery('simple', 'old')"
        else:
            search_rows = "SELECT COUNT(*) FROM event_search WHERE event_search MATCH 'old'"
        assert (await sql(purging, search_rows))[0][0] == 0
        assert await sql(purging, "SELECT 1 FROM events WHERE event_id = ?", last) == [(1,)]
        await api.send(alice, room, "after the purge")
    finally:
        await api.close()
