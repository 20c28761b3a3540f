"""matrix-js-sdk with expiring access tokens (issue 14): soft logout on expiry, POST /refresh, same device after.

The scenario lives in refresh.mjs (run by Node) against a server whose access tokens live two seconds.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import ENGINES
from tests.js.node_scenario import run_scenario
from tests.own_server import RELAXED, own_server
from tests.serverproc import ServerProcess


@pytest.fixture(scope="module", params=ENGINES)
def short_tokens(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    yield from own_server(request, tmp_path_factory, "js-refresh", "[devices]\naccess_token_lifetime_s = 2\n", *RELAXED)


@pytest.mark.slow
async def test_js_sdk_refreshes_an_expired_token(short_tokens: ServerProcess) -> None:
    await run_scenario("refresh.mjs", short_tokens.base_url, timeout=120)
