"""A server of a test module's own, for tests that need their own configuration (chancery.toml) or flags."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.client import Api
from tests.conftest import cleanup_server, make_server
from tests.serverproc import ServerProcess

RELAXED = ("--open-registration", "--no-rate-limits")


def own_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, name: str, toml: str, *flags: str
) -> Iterator[ServerProcess]:
    """For a module-scoped fixture parametrised over the engines: `yield from own_server(...)`."""
    tmp = tmp_path_factory.mktemp(f"{name}-{request.param}")
    (tmp / "data").mkdir()
    if toml:
        (tmp / "data" / "chancery.toml").write_text(toml)
    proc = make_server(tmp, request.param, *flags)
    proc.start()
    yield proc
    cleanup_server(proc)


async def client_of(server: ServerProcess) -> AsyncIterator[Api]:
    """For a function-scoped fixture: `async for client in client_of(server): yield client`."""
    client = Api(server.base_url)
    yield client
    await client.close()
