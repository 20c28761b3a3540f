"""Device control through matrix-nio (issue 14): a remotely wiped device receives org.chancery.wipe in its
sync and is then refused; the device limit refuses a login with a clear error."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator

import nio  # type: ignore[import-untyped]
import pytest

from tests.api.test_device_control import ADMIN, LIMITED, make_admin
from tests.client import Api, q
from tests.conftest import ENGINES
from tests.own_server import RELAXED, own_server
from tests.serverproc import ServerProcess

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module", params=ENGINES)
def limited(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    yield from own_server(request, tmp_path_factory, "nio-devices", LIMITED, *RELAXED)


@pytest.fixture
async def nio_client(limited: ServerProcess) -> AsyncIterator[nio.AsyncClient]:
    config = nio.AsyncClientConfig(store_sync_tokens=False, encryption_enabled=False)
    client = nio.AsyncClient(limited.base_url, "", config=config)
    reply = await client.register(f"nio{time.monotonic_ns()}", PASSWORD, device_name="phone")
    assert isinstance(reply, nio.RegisterResponse), reply
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
