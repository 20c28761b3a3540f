"""A server whose directory is searched institution-wide, with display names locked to the directory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.client import Api
from tests.conftest import ENGINES
from tests.own_server import RELAXED, client_of, own_server
from tests.serverproc import ServerProcess

DIRECTORY_TOML = '[directory]\nsearch_scope = "institution"\nlock_display_names = true\n'


@pytest.fixture(scope="module", params=ENGINES)
def dir_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    yield from own_server(request, tmp_path_factory, "directory", DIRECTORY_TOML, *RELAXED)


@pytest.fixture
async def dapi(dir_server: ServerProcess) -> AsyncIterator[Api]:
    async for client in client_of(dir_server):
        yield client
