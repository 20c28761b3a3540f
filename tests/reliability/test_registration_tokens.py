"""Registration tokens: a token's uses are never exceeded, however many processes register at once, and a
token that expired while a registration was under way does not create the account."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.client import Api, C, Reply
from tests.conftest import ENGINES
from tests.own_server import client_of, own_server
from tests.reliability.test_multiprocess import Pair, start_pair
from tests.serverproc import ServerProcess
from tests.sql import sql


async def token_stage(api: Api, username: str, token: str) -> str:
    """The first round of a token registration: the token stage done, the dummy stage left; the session."""
    reply = await api.request(
        "POST",
        C + "/register",
        json={"username": username, "auth": {"type": "m.login.registration_token", "token": token}},
    )
    assert reply.status == 401 and reply.body["completed"] == ["m.login.registration_token"], reply
    return str(reply.body["session"])


async def finish(api: Api, username: str, session: str) -> Reply:
    return await api.request(
        "POST", C + "/register", json={"username": username, "auth": {"type": "m.login.dummy", "session": session}}
    )


@pytest.fixture
def closed_pair(tmp_path: Path) -> Iterator[Pair]:
    """Two processes on one PostgreSQL database with registration closed (tokens only)."""
    started = start_pair(tmp_path, flags=("--no-rate-limits",))
    yield started
    started.stop()


@pytest.mark.skipif("postgres" not in ENGINES, reason="several processes need PostgreSQL")
async def test_token_uses_hold_across_processes_under_concurrent_registrations(closed_pair: Pair) -> None:
    token = (await asyncio.to_thread(closed_pair.a.run_cli, "registration-token", "create", "--uses", "3")).strip()
    apis = [Api(closed_pair.a.base_url), Api(closed_pair.b.base_url)]
    try:
        names = [f"racer{index}{secrets.token_hex(3)}" for index in range(20)]
        # Every registration has passed the token stage (three uses left for each of them) ...
        sessions = [await token_stage(apis[index % 2], name, token) for index, name in enumerate(names)]
        # ... and all complete at once, half through each process.
        replies = await asyncio.gather(
            *(
                finish(apis[index % 2], name, session)
                for index, (name, session) in enumerate(zip(names, sessions, strict=True))
            )
        )
        statuses = sorted(reply.status for reply in replies)
        assert statuses == [200] * 3 + [403] * 17, statuses
        assert {reply.errcode for reply in replies if reply.status == 403} == {"M_FORBIDDEN"}
        created = await sql(closed_pair.a, "SELECT COUNT(*) FROM users WHERE user_id LIKE ?", "@racer%")
        assert created == [(3,)]
    finally:
        for api in apis:
            await api.close()


@pytest.fixture(scope="module", params=ENGINES)
def closed_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    yield from own_server(request, tmp_path_factory, "closed", "", "--no-rate-limits")


@pytest.fixture
async def closed(closed_server: ServerProcess) -> AsyncIterator[Api]:
    async for client in client_of(closed_server):
        yield client


async def test_a_token_that_expires_during_registration_creates_no_account(
    closed: Api, closed_server: ServerProcess
) -> None:
    token = (await asyncio.to_thread(closed_server.run_cli, "registration-token", "create", "--uses", "5")).strip()
    name = "late" + secrets.token_hex(4)
    session = await token_stage(closed, name, token)
    # The token expires between the token stage and the end of the registration.
    await sql(closed_server, "UPDATE registration_tokens SET expiry_ts = ? WHERE token = ?", 1, token)
    reply = await finish(closed, name, session)
    assert (reply.status, reply.errcode) == (403, "M_FORBIDDEN")
    assert await sql(closed_server, "SELECT COUNT(*) FROM users WHERE user_id = ?", f"@{name}:localhost") == [(0,)]
    # A valid token still works.
    fresh = (await asyncio.to_thread(closed_server.run_cli, "registration-token", "create", "--uses", "1")).strip()
    other = "ontime" + secrets.token_hex(4)
    assert (await finish(closed, other, await token_stage(closed, other, fresh))).status == 200
