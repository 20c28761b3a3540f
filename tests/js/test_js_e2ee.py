"""matrix-js-sdk with its Rust crypto against the server: Megolm messages, cross-signing and key backup.

The scenario lives in e2ee.mjs (run by Node); this test hands it the server's URL and checks its result.
"""

from __future__ import annotations

import pytest

from tests.js.node_scenario import run_scenario
from tests.serverproc import ServerProcess


@pytest.mark.slow
async def test_js_sdk_rust_crypto_end_to_end(server: ServerProcess) -> None:
    await run_scenario("e2ee.mjs", server.base_url, timeout=240)
