"""Every write path announces the stream positions it takes.

/sync skips the database for what the announcements say did not change; a position nobody announced is
caught by the stream watch, which logs it and sends /syncs back to the database (slower, and a sign of a
write path that forgot). A fresh server goes through every kind of write and must log no such line.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.test_accounts import password_auth, uia_session
from tests.api.test_keys_support import Device
from tests.client import Api, C, q
from tests.conftest import ENGINES, cleanup_server, make_server
from tests.serverproc import ServerProcess

WATCH_INTERVAL_S = 1.0  # services/stream_watch.py: a position must stay unannounced a whole interval


@pytest.fixture(params=ENGINES)
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerProcess]:
    server = make_server(tmp_path, request.param, "--open-registration", "--no-rate-limits").start()
    yield server
    cleanup_server(server)


async def test_no_write_leaves_a_position_unannounced(fresh: ServerProcess) -> None:
    api = Api(fresh.base_url)
    try:
        await _every_kind_of_write(api)
    finally:
        await api.close()
    await asyncio.sleep(WATCH_INTERVAL_S * 2.5)  # typing expiry (500 ms) included
    log = next(fresh.data_dir.parent.glob("server-*.log")).read_text(encoding="utf-8")
    assert "not announced" not in log, [line for line in log.splitlines() if "not announced" in line]


async def _every_kind_of_write(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    room = await api.create_room(alice, invite=[bob.user_id], name="announced")
    await api.join(bob, room)
    await api.send(alice, room, "hello")
    await api.send(alice, room, "edit", content={"msgtype": "m.text", "body": "x", "m.relates_to": {}})
    event_id = await api.send(bob, room, "to redact")
    await api.ok("PUT", f"{C}/rooms/{q(room)}/redact/{q(event_id)}/r1", bob, json={})
    await api.ok("PUT", f"{C}/rooms/{q(room)}/state/m.room.topic", alice, json={"topic": "t"})
    await api.ok("PUT", f"{C}/rooms/{q(room)}/typing/{q(alice.user_id)}", alice, json={"typing": True, "timeout": 500})
    await api.ok("POST", f"{C}/rooms/{q(room)}/receipt/m.read/{q(event_id)}", alice, json={})
    await api.ok("POST", f"{C}/rooms/{q(room)}/read_markers", alice, json={"m.fully_read": event_id})
    await api.ok("PUT", f"{C}/user/{q(alice.user_id)}/account_data/m.direct", alice, json={})
    await api.ok("PUT", f"{C}/user/{q(alice.user_id)}/rooms/{q(room)}/tags/u.work", alice, json={})
    await api.ok("PUT", f"{C}/pushrules/global/override/my.rule", alice, json={"actions": [], "conditions": []})
    await api.ok("PUT", f"{C}/presence/{q(alice.user_id)}/status", alice, json={"presence": "unavailable"})
    device = Device(alice)
    await device.upload(api, device_keys=device.device_keys(), one_time_keys=device.one_time_keys(3))
    claim = {"one_time_keys": {alice.user_id: {alice.device_id: "signed_curve25519"}}}
    await api.ok("POST", C + "/keys/claim", bob, json=claim)
    messages = {"messages": {alice.user_id: {alice.device_id: {"hello": "there"}}}}
    await api.ok("PUT", f"{C}/sendToDevice/m.test/t1", bob, json=messages)
    await api.ok("PUT", f"{C}/devices/{q(alice.device_id)}", alice, json={"display_name": "laptop"})
    second = await api.login(bob)
    body = {"devices": [second.device_id]}
    session = await uia_session(api, "POST", C + "/delete_devices", bob, body)
    await api.ok("POST", C + "/delete_devices", bob, json={**body, "auth": password_auth(bob, session=session)})
    await api.ok("POST", f"{C}/rooms/{q(room)}/leave", bob, json={})
    # Knocks, and an upgrade: two rooms written in one transaction, and alice's tags, m.direct and push
    # rules carried over to the new room.
    await api.ok("PUT", f"{C}/rooms/{q(room)}/state/m.room.join_rules", alice, json={"join_rule": "knock"})
    await api.ok("POST", f"{C}/knock/{q(room)}", bob, json={})
    await api.ok("PUT", f"{C}/pushrules/global/room/{q(room)}", alice, json={"actions": ["notify"]})
    await api.ok("POST", f"{C}/rooms/{q(room)}/upgrade", alice, json={"new_version": "10"})
    await api.sync(alice)
    await api.ok("POST", C + "/logout", alice, json={})
