"""matrix-js-sdk with its Rust crypto against the server: Megolm messages, cross-signing and key backup.

The scenario lives in e2ee.mjs (run by Node); this test hands it the server's URL and checks its result.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.node import run_node
from tests.serverproc import ServerProcess

HERE = Path(__file__).parent


@pytest.mark.slow
async def test_js_sdk_rust_crypto_end_to_end(server: ServerProcess) -> None:
    assert (HERE / "node_modules" / "matrix-js-sdk").is_dir(), "run `npm ci` in tests/js (scripts/install does)"
    returncode, text = await run_node(HERE / "e2ee.mjs", server.base_url, timeout=240)
    assert returncode == 0, text
    assert "OK" in text.splitlines(), text
