"""A retention purge killed with SIGKILL half-way resumes after the restart and finishes, leaving nothing of
the expired messages behind; of several processes on one PostgreSQL database, one purges at a time (issue 14)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.api.test_device_control import ADMIN
from tests.client import Api
from tests.conftest import ENGINES, cleanup_server, start_configured_server
from tests.reliability.test_multiprocess import Pair, start_pair
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


@pytest.fixture
def purging_pair(tmp_path: Path) -> Iterator[Pair]:
    started = start_pair(
        tmp_path, sections="[retention]\nbatch_size = 1\n[retention.unclassified]\ndefault_days = 30\n"
    )
    yield started
    started.stop()


@pytest.mark.skipif("postgres" not in ENGINES, reason="several processes need PostgreSQL")
async def test_one_process_purges_at_a_time(purging_pair: Pair) -> None:
    api_a, api_b = Api(purging_pair.a.base_url), Api(purging_pair.b.base_url)
    try:
        admin = await api_a.register()
        await sql(purging_pair.a, "UPDATE users SET is_admin = 1 WHERE user_id = ?", admin.user_id)
        room = await api_a.create_room(admin)
        for i in range(60):
            await api_a.send(admin, room, f"old {i}")
        last = await api_a.send(admin, room, "latest")
        old = int(time.time() * 1000) - 40 * 24 * 3600 * 1000
        await sql(
            purging_pair.a,
            "UPDATE events SET origin_server_ts = ? WHERE room_id = ? AND event_id <> ?",
            old,
            room,
            last,
        )
        purge = f"{ADMIN}/retention/purge"
        first = asyncio.create_task(api_a.ok("POST", purge, admin, json={}))
        while await expired_left(purging_pair.a, room, last) == 60:
            await asyncio.sleep(0.01)
        second = await api_b.ok("POST", purge, admin, json={})  # while A still purges
        assert second["skipped"] is True and second["events"] == 0
        done = await first
        assert done["skipped"] is False and done["events"] == 60
    finally:
        await api_a.close()
        await api_b.close()
