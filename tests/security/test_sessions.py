"""Sessions end when they should: logging in again as a device ends that device's earlier session at once
(in every process), and a deactivated account can do nothing from the moment deactivation starts."""

from __future__ import annotations

import asyncio

import pytest

from tests.api.test_accounts import password_auth, uia_session
from tests.client import Api, C, User, q
from tests.conftest import ENGINES
from tests.reliability.test_multiprocess import Pair
from tests.security.test_token_revocation import REVOCATION_DEADLINE_S, _refused_within
from tests.security.test_token_revocation import pair as pair  # the fixture: two processes, one database


async def whoami(api: Api, user: User) -> tuple[int, str | None]:
    reply = await api.request("GET", C + "/account/whoami", user)
    return reply.status, reply.errcode


async def test_logging_in_again_as_a_device_ends_its_earlier_session(api: Api) -> None:
    user = await api.register()
    first = await api.login(user, device_id="PHONE")
    other_device = await api.login(user, device_id="LAPTOP")
    for _ in range(3):  # looked up and remembered by the server
        assert await whoami(api, first) == (200, None)
    second = await api.login(user, device_id="PHONE")
    assert second.device_id == "PHONE"
    assert await whoami(api, first) == (401, "M_UNKNOWN_TOKEN")
    assert await whoami(api, second) == (200, None)
    # Only that device's session: the others go on.
    assert await whoami(api, other_device) == (200, None)
    assert await whoami(api, user) == (200, None)
    # The device itself (and what hangs on it, like its keys) stays.
    devices = await api.ok("GET", C + "/devices", second)
    assert "PHONE" in {d["device_id"] for d in devices["devices"]}


@pytest.mark.skipif("postgres" not in ENGINES, reason="several processes need PostgreSQL")
async def test_logging_in_again_on_one_process_ends_the_session_on_the_other(pair: Pair) -> None:
    api_a, api_b = Api(pair.a.base_url), Api(pair.b.base_url)
    try:
        user = await api_a.register()
        first = await api_a.login(user, device_id="PHONE")
        assert await whoami(api_b, first) == (200, None)  # B remembers the token
        await api_a.login(user, device_id="PHONE")
        elapsed = await _refused_within(api_b, first, REVOCATION_DEADLINE_S)
        assert elapsed < 1.0  # announced between the processes
    finally:
        await api_a.close()
        await api_b.close()


async def test_a_deactivated_account_cannot_act_while_it_leaves_its_rooms(api: Api) -> None:
    owner, user = await api.register(), await api.register()
    rooms = [await api.create_room(owner, preset="public_chat") for _ in range(30)]
    for room in rooms:
        await api.join(user, room)
    other_device = await api.login(user)
    session = await uia_session(api, "POST", C + "/account/deactivate", user, {})
    statuses: list[int] = []
    deactivating = asyncio.Event()

    async def keep_joining() -> None:
        """Another device of the same person rejoins every room, over and over, during the deactivation."""
        while True:
            for room in rooms:
                reply = await api.request("POST", f"{C}/join/{q(room)}", other_device, json={})
                if deactivating.is_set():
                    statuses.append(reply.status)
                if reply.status == 401 and deactivating.is_set():
                    return

    joiners = [asyncio.create_task(keep_joining()) for _ in range(3)]
    await asyncio.sleep(0.2)
    deactivating.set()
    await api.ok("POST", C + "/account/deactivate", user, json={"auth": password_auth(user, session=session)})
    await asyncio.wait_for(asyncio.gather(*joiners), 30)
    assert 401 in statuses
    for token_holder in (user, other_device):
        assert await whoami(api, token_holder) == (401, "M_UNKNOWN_TOKEN")
    # Nothing the other device did let the account stay in (or come back to) a room.
    for room in rooms:
        members = await api.ok("GET", f"{C}/rooms/{q(room)}/joined_members", owner)
        assert user.user_id not in members["joined"], room
