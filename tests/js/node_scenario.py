"""Running a matrix-js-sdk scenario (a .mjs file next to this one) with Node against a test server."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

HERE = Path(__file__).parent


async def run_scenario(script: str, base_url: str, timeout: float) -> None:
    """Run `script` with the server's URL; it must print "OK" and exit 0 (its output explains a failure)."""
    node = shutil.which("node")
    assert node is not None, "Node.js is required (Debian package nodejs)"
    assert (HERE / "node_modules" / "matrix-js-sdk").is_dir(), "run `npm ci` in tests/js (scripts/install does)"
    proc = await asyncio.create_subprocess_exec(
        node,
        str(HERE / script),
        base_url,
        cwd=HERE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(proc.communicate(), timeout=timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    text = output.decode(errors="replace")
    assert proc.returncode == 0, text
    assert "OK" in text.splitlines(), text
