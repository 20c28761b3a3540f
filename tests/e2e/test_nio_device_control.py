"""Device control through matrix-nio (issue 14): a remotely wiped device receives org.chancery.wipe in its
sync and is then refused; the device limit refuses a login with a clear error; an expired session is a soft
logout; a stale device is deleted."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import nio  # type: ignore[import-untyped]
import pytest

from tests.api.test_device_control import ADMIN, LIMITED, make_admin
from tests.client import Api, q
from tests.conftest import ENGINES
from tests.e2e.nio_accounts import PASSWORD, register_nio
from tests.own_server import RELAXED, own_server
from tests.serverproc import ServerProcess
from tests.sql import sql


@pytest.fixture(scope="module", params=ENGINES)
def limited(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    yield from own_server(request, tmp_path_factory, "nio-devices", LIMITED, *RELAXED)


@pytest.fixture
async def nio_client(limited: ServerProcess) -> AsyncIterator[nio.AsyncClient]:
    client = await register_nio(limited.base_url, device_name="phone")
    yield client
    await client.close()


async def test_a_wiped_nio_device_gets_the_order_then_is_refused(
    nio_client: nio.AsyncClient, limited: ServerProcess
) -> None:
    api = Api(limited.base_url)
    try:
        admin = await make_admin(api, limited)
        first = await nio_client.sync(timeout=0)
        assert isinstance(first, nio.SyncResponse), first
        path = f"{ADMIN}/users/{q(nio_client.user_id)}/devices/{q(nio_client.device_id)}/wipe"
        await api.ok("POST", path, admin, json={"reason": "lost"})
        order = await nio_client.sync(timeout=0)
        assert isinstance(order, nio.SyncResponse), order
        events = [e for e in order.to_device_events if e.source.get("type") == "org.chancery.wipe"]
        assert len(events) == 1 and events[0].source["content"] == {"reason": "lost"}
        assert events[0].sender == admin.user_id
        refused = await nio_client.sync(timeout=0)
        assert isinstance(refused, nio.SyncError) and refused.status_code == "M_UNKNOWN_TOKEN", refused
        whoami = await nio_client.whoami()
        assert isinstance(whoami, nio.WhoamiError), whoami
    finally:
        await api.close()


async def test_nio_logins_beyond_the_limit_are_refused(nio_client: nio.AsyncClient, limited: ServerProcess) -> None:
    others = []
    try:
        for expected_ok in (True, True, False):
            other = nio.AsyncClient(limited.base_url, nio_client.user_id)
            others.append(other)
            reply = await other.login(PASSWORD)
            assert isinstance(reply, nio.LoginResponse) == expected_ok, reply
        assert isinstance(reply, nio.LoginError) and reply.status_code == "M_FORBIDDEN"
        assert "sessions" in reply.message
    finally:
        for other in others:
            await other.close()


@pytest.fixture(scope="module", params=ENGINES)
def short_sessions(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    toml = "[devices]\nsession_lifetime_s = 2\n"
    yield from own_server(request, tmp_path_factory, "nio-sessions", toml, *RELAXED)


async def test_an_expired_nio_session_is_a_soft_logout(short_sessions: ServerProcess) -> None:
    client = await register_nio(short_sessions.base_url)
    try:
        assert isinstance(await client.sync(timeout=0), nio.SyncResponse)
        await asyncio.sleep(2.2)
        expired = await client.sync(timeout=0)
        assert isinstance(expired, nio.SyncError) and expired.status_code == "M_UNKNOWN_TOKEN", expired
        assert expired.soft_logout is True
        # Signing in again (the same device) gives a new session.
        client.user = client.user_id
        again = await client.login(PASSWORD, device_name="phone")
        assert isinstance(again, nio.LoginResponse), again
        assert isinstance(await client.sync(timeout=0), nio.SyncResponse)
    finally:
        await client.close()


async def test_a_stale_nio_device_is_deleted(nio_client: nio.AsyncClient, limited: ServerProcess) -> None:
    assert isinstance(await nio_client.sync(timeout=0), nio.SyncResponse)
    await asyncio.sleep(2.5)  # the server writes last use every two seconds: let it, then age the device
    old = int(time.time() * 1000) - 91 * 24 * 3600 * 1000
    await sql(
        limited,
        "UPDATE devices SET last_seen_ts = ?, created_ts = ? WHERE user_id = ? AND device_id = ?",
        old,
        old,
        nio_client.user_id,
        nio_client.device_id,
    )
    await asyncio.to_thread(limited.run_cli, "device", "purge-stale", "--days", "90")
    deadline = time.monotonic() + 5
    while isinstance(reply := await nio_client.sync(timeout=0), nio.SyncResponse):
        assert time.monotonic() < deadline, "a stale device still synced"
        await asyncio.sleep(0.1)
    assert reply.status_code == "M_UNKNOWN_TOKEN"
