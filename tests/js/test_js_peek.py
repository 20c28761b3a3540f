"""matrix-js-sdk previews a room before joining it, as Element Web does (client.peekInRoom: room initialSync and
the /events stream with room_id), then joins it; a room that is not world-readable refuses with 403 M_FORBIDDEN.

The scenario lives in peek.mjs (run by Node); this test hands it the server's URL and checks its result.
"""

from __future__ import annotations

import pytest

from tests.js.node_scenario import run_scenario
from tests.serverproc import ServerProcess


@pytest.mark.slow
async def test_js_sdk_previews_a_room_then_joins_it(server: ServerProcess) -> None:
    await run_scenario("peek.mjs", server.base_url, timeout=180)
