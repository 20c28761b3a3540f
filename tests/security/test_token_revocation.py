"""A revoked access token stops working everywhere, although servers keep looked-up tokens in memory.

Revocations take a stream position: the process that revokes forgets the token at once, other processes
when the position is announced to them, and a revocation by another program (the admin CLI writing to
the database) when the stream watch notices the unannounced position.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.test_accounts import password_auth, uia_session
from tests.client import Api, C, User
from tests.conftest import ENGINES
from tests.reliability.test_multiprocess import Pair, start_pair
from tests.serverproc import ServerProcess

# The stream watch checks once a second and skips a position unannounced for a whole interval.
REVOCATION_DEADLINE_S = 5.0


async def _refused_within(api: Api, user: User, deadline_s: float) -> float:
    """Seconds until whoami answers 401 M_UNKNOWN_TOKEN; fails the test after `deadline_s`."""
    start = time.monotonic()
    while True:
        reply = await api.request("GET", C + "/account/whoami", user)
        if reply.status == 401:
            assert reply.errcode == "M_UNKNOWN_TOKEN"
            return time.monotonic() - start
        assert reply.status == 200
        assert time.monotonic() - start < deadline_s, "a revoked token was still accepted"
        await asyncio.sleep(0.05)


async def test_logout_is_refused_at_once_for_a_token_in_use(api: Api) -> None:
    user = await api.register()
    for _ in range(3):  # looked up and remembered
        await api.ok("GET", C + "/account/whoami", user)
    await api.ok("POST", C + "/logout", user, json={})
    reply = await api.request("GET", C + "/account/whoami", user)
    assert (reply.status, reply.errcode) == (401, "M_UNKNOWN_TOKEN")


async def test_deleting_a_device_refuses_its_token_at_once(api: Api) -> None:
    user = await api.register()
    other = await api.login(user)
    await api.ok("GET", C + "/account/whoami", other)
    body = {"devices": [other.device_id]}
    session = await uia_session(api, "POST", C + "/delete_devices", user, body)
    await api.ok("POST", C + "/delete_devices", user, json={**body, "auth": password_auth(user, session=session)})
    reply = await api.request("GET", C + "/account/whoami", other)
    assert (reply.status, reply.errcode) == (401, "M_UNKNOWN_TOKEN")


async def test_deactivation_by_the_admin_cli_reaches_the_running_server(api: Api, server: ServerProcess) -> None:
    user = await api.register()
    await api.ok("GET", C + "/account/whoami", user)
    await asyncio.to_thread(server.run_cli, "user", "deactivate", user.user_id)
    await _refused_within(api, user, REVOCATION_DEADLINE_S)


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Pair]:
    started = start_pair(tmp_path)
    yield started
    started.stop()


@pytest.mark.skipif("postgres" not in ENGINES, reason="several processes need PostgreSQL")
async def test_logout_on_one_process_is_refused_by_the_other(pair: Pair) -> None:
    api_a, api_b = Api(pair.a.base_url), Api(pair.b.base_url)
    try:
        user = await api_a.register()
        await api_b.ok("GET", C + "/account/whoami", user)  # B remembers the token
        await api_a.ok("POST", C + "/logout", user, json={})
        elapsed = await _refused_within(api_b, user, REVOCATION_DEADLINE_S)
        assert elapsed < 1.0  # announced between the processes, not found by the stream watch
    finally:
        await api_a.close()
        await api_b.close()
