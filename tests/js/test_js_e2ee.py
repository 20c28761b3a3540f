"""matrix-js-sdk with its Rust crypto against the server: Megolm messages, cross-signing and key backup.

The scenario lives in e2ee.mjs (run by Node); this test hands it the server's URL and checks its result.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from tests.serverproc import ServerProcess

HERE = Path(__file__).parent


@pytest.mark.slow
async def test_js_sdk_rust_crypto_end_to_end(server: ServerProcess) -> None:
    node = shutil.which("node")
    assert node is not None, "Node.js is required (Debian package nodejs)"
    assert (HERE / "node_modules" / "matrix-js-sdk").is_dir(), "run `npm ci` in tests/js (scripts/install does)"
    proc = await asyncio.create_subprocess_exec(
        node,
        str(HERE / "e2ee.mjs"),
        server.base_url,
        cwd=HERE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(proc.communicate(), timeout=240)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    text = output.decode(errors="replace")
    assert proc.returncode == 0, text
    assert "OK" in text.splitlines(), text
