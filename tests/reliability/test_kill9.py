"""Crash safety: SIGKILL the server while clients send; after a restart every acknowledged event is there exactly
once, and repeating a transaction ID (before or after the crash) yields the same event, never a second one."""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.client import Api, C, User, q
from tests.conftest import cleanup_server, make_server
from tests.serverproc import ServerProcess

SENDERS = 4


@pytest.fixture
async def own_server(tmp_path: Path, server: ServerProcess) -> AsyncIterator[ServerProcess]:
    """A server of its own on the session's engine (threads: the PostgreSQL setup runs its own event loop)."""
    proc = await asyncio.to_thread(make_server, tmp_path, server.engine, "--open-registration", "--no-rate-limits")
    await asyncio.to_thread(proc.start)
    yield proc
    await asyncio.to_thread(cleanup_server, proc)


async def all_messages(api: Api, user: User, room: str) -> list[dict[str, object]]:
    events: list[dict[str, object]] = []
    token: str | None = None
    while True:
        params = {"dir": "b", "limit": "500"}
        if token:
            params["from"] = token
        page = await api.ok("GET", f"{C}/rooms/{q(room)}/messages", user, params=params)
        events += [e for e in page["chunk"] if e["type"] == "m.room.message"]
        if not page["chunk"] or "end" not in page:
            return events
        token = page["end"]


async def send_until_failure(base_url: str, user: User, room: str, name: str, acked: dict[str, str]) -> list[str]:
    """Sends numbered messages until the server goes away; returns every txn ID it tried."""
    tried: list[str] = []
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {user.token}"}) as session:
        for i in range(100_000):
            txn = f"{name}-{i}"
            tried.append(txn)
            url = f"{base_url}{C}/rooms/{q(room)}/send/m.room.message/{txn}"
            try:
                async with session.put(url, json={"msgtype": "m.text", "body": txn}) as response:
                    if response.status != 200:
                        return tried
                    acked[txn] = (await response.json())["event_id"]
            except (TimeoutError, aiohttp.ClientError):
                return tried
    return tried


async def test_acknowledged_events_survive_sigkill(own_server: ServerProcess) -> None:
    api = Api(own_server.base_url)
    try:
        owner = await api.register()
        senders = [await api.register() for _ in range(SENDERS)]
        room = await api.create_room(owner, preset="public_chat")
        for sender in senders:
            await api.join(sender, room)
        acked: list[dict[str, str]] = [{} for _ in senders]
        tasks = [
            asyncio.create_task(send_until_failure(own_server.base_url, s, room, f"c{n}", acked[n]))
            for n, s in enumerate(senders)
        ]
        while sum(len(a) for a in acked) < 40:  # well into the stream, all senders busy
            await asyncio.sleep(0.05)
        await asyncio.to_thread(own_server.kill)
        tried = await asyncio.gather(*tasks)
        assert sum(len(a) for a in acked) >= 40

        await asyncio.to_thread(own_server.start)  # same data directory / database
        messages = await all_messages(api, owner, room)
        counts = Counter(str(e["event_id"]) for e in messages)
        assert all(n == 1 for n in counts.values()), "an event appears twice"
        for per_sender in acked:
            for txn, event_id in per_sender.items():
                assert counts[event_id] == 1, f"acknowledged {txn} lost"

        # Repeating every transaction after the restart: acknowledged ones return the same event; ones whose answer
        # was lost in the crash now land once, or return what had already committed.
        for n, sender in enumerate(senders):
            for txn in tried[n]:
                path = f"{C}/rooms/{q(room)}/send/m.room.message/{txn}"
                reply = await api.ok("PUT", path, sender, json={"msgtype": "m.text", "body": txn})
                if txn in acked[n]:
                    assert reply["event_id"] == acked[n][txn], txn
        after = await all_messages(api, owner, room)
        bodies = Counter(str(e["content"]["body"]) for e in after)  # type: ignore[index]
        expected = {txn for t in tried for txn in t}
        assert set(bodies) == expected
        assert all(n == 1 for n in bodies.values()), [b for b, n in bodies.items() if n > 1]
    finally:
        await api.close()


async def test_concurrent_repeats_of_one_txn_make_one_event(api: Api) -> None:
    user = await api.register()
    room = await api.create_room(user)
    txn = "same-" + secrets.token_hex(4)
    path = f"{C}/rooms/{q(room)}/send/m.room.message/{txn}"
    replies = await asyncio.gather(
        *(api.request("PUT", path, user, json={"msgtype": "m.text", "body": txn}) for _ in range(20))
    )
    assert all(r.status == 200 for r in replies), [r for r in replies if r.status != 200][:2]
    event_ids = {r.body["event_id"] for r in replies}
    assert len(event_ids) == 1
    messages = await all_messages(api, user, room)
    assert [e["event_id"] for e in messages] == list(event_ids)
    # The same txn ID from another device of the same user is a different transaction.
    other_device = await api.login(user)
    other = await api.ok("PUT", path, other_device, json={"msgtype": "m.text", "body": txn})
    assert other["event_id"] not in event_ids
