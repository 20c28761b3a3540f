"""kill -9 of one of two server processes under load loses no acknowledged event (PostgreSQL only).

Senders work through both processes; one process is SIGKILLed mid-load. Its senders retry the request
they were in (same access token, same transaction ID) on the surviving process, as a client behind a
reverse proxy would. Afterwards every event that got a 200 is stored exactly once, and the room graph
is still linear.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from tests.client import Api, C, User, q
from tests.conftest import ENGINES
from tests.reliability.test_multiprocess import Pair, assert_linear, room_events_in_db, start_pair

pytestmark = pytest.mark.skipif("postgres" not in ENGINES, reason="several processes need PostgreSQL")

MESSAGES_PER_SENDER = 40


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Pair]:
    started = start_pair(tmp_path)
    yield started
    started.stop()


async def _send_all(
    sessions: dict[str, aiohttp.ClientSession],
    urls: list[str],
    user: User,
    room: str,
    acknowledged: dict[str, str],
) -> None:
    """Send numbered messages; on a dead process, retry the same transaction on the next one."""
    url_index = 0
    for index in range(MESSAGES_PER_SENDER):
        body = f"{user.user_id} #{index}"
        path = f"{C}/rooms/{q(room)}/send/m.room.message/m{index}"
        while True:
            base = urls[url_index % len(urls)]
            try:
                async with sessions[base].put(
                    base + path,
                    json={"msgtype": "m.text", "body": body},
                    headers={"Authorization": f"Bearer {user.token}"},
                ) as response:
                    if response.status == 200:
                        acknowledged[body] = (await response.json())["event_id"]
                        break
                    assert response.status >= 500, await response.text()
            except (TimeoutError, aiohttp.ClientError, ConnectionError):
                pass
            url_index += 1  # that process did not answer: try the other one
            await asyncio.sleep(0.05)


async def test_sigkill_of_one_process_loses_no_acknowledged_event(pair: Pair) -> None:
    api_a, api_b = Api(pair.a.base_url), Api(pair.b.base_url)
    owner = await api_a.register()
    room = await api_a.create_room(owner, preset="public_chat")
    senders: list[tuple[list[str], User]] = []
    for index in range(6):
        user = await api_a.register()
        await api_a.join(user, room)
        urls = [pair.a.base_url, pair.b.base_url]
        senders.append((urls if index % 2 == 0 else list(reversed(urls)), user))
    await api_a.close()

    acknowledged: dict[str, str] = {}
    timeout = aiohttp.ClientTimeout(total=30)
    sessions = {url: aiohttp.ClientSession(timeout=timeout) for url in (pair.a.base_url, pair.b.base_url)}
    try:
        load = asyncio.gather(*(_send_all(sessions, urls, user, room, acknowledged) for urls, user in senders))
        while len(acknowledged) < 40:
            await asyncio.sleep(0.02)
        await asyncio.to_thread(pair.a.kill)
        killed_after = len(acknowledged)
        await load
    finally:
        for session in sessions.values():
            await session.close()

    assert killed_after < len(senders) * MESSAGES_PER_SENDER  # the kill really happened mid-load
    assert len(acknowledged) == len(senders) * MESSAGES_PER_SENDER
    stored = await room_events_in_db(pair.dsn, room)
    assert_linear(stored)
    messages = [e for _, e in stored if e["type"] == "m.room.message"]
    bodies = Counter(e["content"]["body"] for e in messages)
    assert all(bodies[body] == 1 for body in acknowledged), [b for b in acknowledged if bodies[b] != 1]
    by_body = {e["content"]["body"]: e["event_id"] for e in messages}
    assert all(by_body[body] == event_id for body, event_id in acknowledged.items())

    # The survivor serves all of it, and the killed process comes back on the same database.
    api_b_reader = await api_b.login(owner)
    body = await api_b.sync(api_b_reader, filter=json.dumps({"room": {"timeline": {"limit": 1000}}}))
    seen = {e["event_id"] for e in body["rooms"]["join"][room]["timeline"]["events"]}
    assert set(acknowledged.values()) <= seen
    await api_b.close()
    await asyncio.to_thread(pair.a.start)
    api_a = Api(pair.a.base_url)
    await api_a.send(owner, room, "after the restart")
    await api_a.close()
    assert_linear(await room_events_in_db(pair.dsn, room))
    # No transaction was left holding a lock by the killed process.
    conn = await asyncpg.connect(pair.dsn)
    try:
        assert await conn.fetchval("SELECT COUNT(*) FROM pg_locks WHERE NOT granted") == 0
    finally:
        await conn.close()
