"""Behind a reverse proxy: X-Forwarded-For names the client only when the peer is a trusted proxy, read from
the right, so rate limits apply per real client and a client cannot pick its own address ([http]
trusted_proxies)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest

from tests.client import C
from tests.conftest import ENGINES
from tests.own_server import own_server
from tests.serverproc import ServerProcess

BURST = 5  # the "register" bucket: 5 requests, then one every 10 s


@pytest.fixture(scope="module", params=ENGINES)
def proxied_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    toml = '[http]\ntrusted_proxies = ["127.0.0.1", "10.0.0.0/8"]\n'
    yield from own_server(request, tmp_path_factory, "proxied", toml)  # rate limits on


@pytest.fixture
async def sessions() -> AsyncIterator[tuple[aiohttp.ClientSession, aiohttp.ClientSession]]:
    """One session connecting from 127.0.0.1 (the trusted proxy), one from 127.0.0.2 (not trusted)."""
    proxy = aiohttp.ClientSession()
    direct = aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=("127.0.0.2", 0)))
    yield proxy, direct
    await proxy.close()
    await direct.close()


async def statuses(
    session: aiohttp.ClientSession, server: ServerProcess, forwarded: str | None, count: int
) -> list[int]:
    found = []
    for _ in range(count):
        headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
        params = {"username": "free" + secrets.token_hex(4)}
        async with session.get(f"{server.base_url}{C}/register/available", params=params, headers=headers) as reply:
            found.append(reply.status)
    return found


async def test_forwarded_addresses_are_rate_limited_per_client(
    proxied_server: ServerProcess, sessions: tuple[aiohttp.ClientSession, aiohttp.ClientSession]
) -> None:
    proxy, _direct = sessions
    first, second = f"192.0.2.{secrets.randbelow(200) + 1}", f"198.51.100.{secrets.randbelow(200) + 1}"
    # Through the proxy: each client has its own budget.
    assert await statuses(proxy, proxied_server, first, BURST + 1) == [200] * BURST + [429]
    assert await statuses(proxy, proxied_server, second, 1) == [200]
    # The right-most address that is not a trusted proxy is the client: addresses a client put in front
    # of its own do not get it a new budget, and trusted hops after it (10.0.0.0/8) are skipped.
    assert await statuses(proxy, proxied_server, f"203.0.113.7, {first}", 1) == [429]
    assert await statuses(proxy, proxied_server, f"203.0.113.8, {first}, 10.1.2.3", 1) == [429]
    # A malformed header names nobody: the proxy's own address is used (a budget of its own).
    assert await statuses(proxy, proxied_server, f"{first}, not-an-address", 1) == [200]


async def test_forwarded_addresses_from_an_untrusted_peer_are_ignored(
    proxied_server: ServerProcess, sessions: tuple[aiohttp.ClientSession, aiohttp.ClientSession]
) -> None:
    _proxy, direct = sessions
    # 127.0.0.2 is no proxy of ours: whatever it claims, it is one client.
    claims = [f"192.0.2.{index}" for index in range(BURST + 1)]
    found = [(await statuses(direct, proxied_server, claim, 1))[0] for claim in claims]
    assert found == [200] * BURST + [429]
