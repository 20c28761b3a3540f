"""Sliding sync connections live in the database: a restart or another worker continues them, idle ones
expire, a deleted device's go with it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.api.test_sliding_sync import SS, bodies, encryption, ok, room_list, ss
from tests.client import Api, C, q
from tests.conftest import ENGINES, cleanup_server, make_server
from tests.serverproc import ServerProcess
from tests.sql import sql

RELAXED = ("--open-registration", "--no-rate-limits")


@pytest.fixture(params=ENGINES)
async def own(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ServerProcess]:
    server = await asyncio.to_thread(make_server, tmp_path, request.param, *RELAXED)
    await asyncio.to_thread(server.start)
    yield server
    await asyncio.to_thread(cleanup_server, server)


async def test_a_restart_continues_the_connection(own: ServerProcess) -> None:
    api = Api(own.base_url)
    try:
        alice = await api.register()
        room = await api.create_room(alice)
        other = await api.create_room(alice)
        first = await ok(api, alice, room_list())
        assert set(first["rooms"]) == {room, other}
        await api.send(alice, room, "said before the restart")
    finally:
        await api.close()
    await asyncio.to_thread(own.stop)
    await asyncio.to_thread(own.start)
    api = Api(own.base_url)
    try:
        second = await ok(api, alice, room_list(), first["pos"])
        assert list(second["rooms"]) == [room]
        entry = second["rooms"][room]
        assert "initial" not in entry and bodies(entry) == ["said before the restart"]
    finally:
        await api.close()


async def test_idle_connections_expire_and_deleted_devices_lose_theirs(own: ServerProcess) -> None:
    api = Api(own.base_url)
    try:
        alice = await api.register()
        first = await ok(api, alice, room_list())
        eight_days = 8 * 24 * 3600 * 1000
        await sql(own, "UPDATE sliding_sync_connections SET last_used_ts = last_used_ts - ?", eight_days)
        reply = await ss(api, alice, room_list(), first["pos"])
        assert (reply.status, reply.errcode) == (400, "M_UNKNOWN_POS")
        # Starting over works, and the expired connection's rows are gone.
        again = await ok(api, alice, room_list())
        assert (await ok(api, alice, room_list(), again["pos"]))["rooms"] == {}
        phone = await api.login(alice)
        await ok(api, phone, room_list())
        auth = {"type": "m.login.password", "user": alice.user_id, "password": alice.password}
        await api.ok("DELETE", f"{C}/devices/{q(phone.device_id)}", alice, json={"auth": auth})
        left = await sql(own, "SELECT COUNT(*) FROM sliding_sync_connections WHERE device_id = ?", phone.device_id)
        assert left[0][0] == 0
        positions = await sql(own, "SELECT COUNT(*) FROM sliding_sync_positions")
        assert positions[0][0] == 1  # alice's current connection only
    finally:
        await api.close()


@pytest.mark.skipif("postgres" not in ENGINES, reason="several processes need PostgreSQL")
async def test_two_workers_share_connections_and_wake_each_other(tmp_path: Path) -> None:
    server = await asyncio.to_thread(make_server, tmp_path, "postgres", *RELAXED, "--workers", "2")
    await asyncio.to_thread(server.start)
    api = Api(server.base_url)
    try:
        alice, bob = await api.register(), await api.register()
        room = await api.create_room(alice, preset="public_chat")
        await api.join(bob, room)
        pos = (await ok(api, bob, room_list()))["pos"]

        async def fresh(method: str, path: str, token: str, **kwargs: object) -> dict[str, object]:
            # A connection of its own per request, so that the kernel spreads them over both processes.
            async with aiohttp.ClientSession() as session:
                headers = {"Authorization": f"Bearer {token}"}
                async with session.request(method, server.base_url + path, headers=headers, **kwargs) as reply:  # type: ignore[arg-type]
                    assert reply.status == 200, await reply.text()
                    body: dict[str, object] = await reply.json()
                    return body

        for n in range(6):
            params = {"pos": pos, "timeout": "20000"}
            waiting = asyncio.create_task(fresh("POST", SS, bob.token, json=room_list(), params=params))
            await asyncio.sleep(0.3)
            content = {"msgtype": "m.text", "body": f"round {n}"}
            await fresh("PUT", f"{C}/rooms/{q(room)}/send/m.room.message/r{n}", alice.token, json=content)
            body = await asyncio.wait_for(waiting, 10)
            rooms = body["rooms"]
            assert isinstance(rooms, dict) and bodies(rooms[room]) == [f"round {n}"]
            assert list(rooms) == [room]  # only what changed
            pos = str(body["pos"])

        # Element X's other two connections on the same device, through either process: an invite appears in
        # the invite list, a to-device message arrives once.
        invites = {
            "lists": {"invites": {"ranges": [[0, 9]], "timeline_limit": 1, "filters": {"is_invite": True}}},
            "room_subscriptions": {room: {"timeline_limit": 1, "required_state": []}},
        }
        notifications = await fresh("POST", SS, bob.token, json={**invites, "conn_id": "notifications"})
        keys = await fresh("POST", SS, bob.token, json=encryption())
        secret = await api.create_room(alice, invite=[bob.user_id])
        messages = {"messages": {bob.user_id: {bob.device_id: {"n": 1}}}}
        await fresh("PUT", f"{C}/sendToDevice/m.test/once", alice.token, json=messages)
        params = {"pos": str(notifications["pos"]), "timeout": "10000"}
        invited = await fresh("POST", SS, bob.token, json={**invites, "conn_id": "notifications"}, params=params)
        assert invited["lists"] == {"invites": {"count": 1}}
        assert isinstance(invited["rooms"], dict) and invited["rooms"][secret]["membership"] == "invite"
        params = {"pos": str(keys["pos"]), "timeout": "10000"}
        delivered = await fresh("POST", SS, bob.token, json=encryption(), params=params)
        extension = delivered["extensions"]["to_device"]  # type: ignore[index]
        assert [e["content"] for e in extension["events"]] == [{"n": 1}]
        params = {"pos": str(delivered["pos"]), "timeout": "0"}
        again = await fresh("POST", SS, bob.token, json=encryption(extension["next_batch"]), params=params)
        assert again["extensions"]["to_device"]["events"] == []  # type: ignore[index]
    finally:
        await api.close()
        await asyncio.to_thread(cleanup_server, server)
