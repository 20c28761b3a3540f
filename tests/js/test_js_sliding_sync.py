"""matrix-js-sdk's sliding sync client (SlidingSync, SlidingSyncSdk) lists rooms and receives a message through
Chancery's simplified sliding sync endpoint.

The scenario lives in sliding_sync.mjs (run by Node); this test hands it the server's URL and checks its result.
"""

from __future__ import annotations

import pytest

from tests.js.node_scenario import run_scenario
from tests.serverproc import ServerProcess


@pytest.mark.slow
async def test_js_sdk_sliding_sync_lists_rooms_and_receives_a_message(server: ServerProcess) -> None:
    await run_scenario("sliding_sync.mjs", server.base_url, timeout=180)
