"""Running a matrix-js-sdk scenario (a .mjs file next to this one) with Node against a test server."""

from __future__ import annotations

from pathlib import Path

from tests.node import run_node

HERE = Path(__file__).parent


async def run_scenario(script: str, base_url: str, timeout: float) -> None:
    """Run `script` with the server's URL; it must print "OK" and exit 0 (its output explains a failure)."""
    assert (HERE / "node_modules" / "matrix-js-sdk").is_dir(), "run `npm ci` in tests/js (scripts/install does)"
    returncode, text = await run_node(HERE / script, base_url, timeout=timeout)
    assert returncode == 0, text
    assert "OK" in text.splitlines(), text
