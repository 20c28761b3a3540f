"""Running a Node.js test script (real JavaScript client libraries, a real browser) and collecting its output."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path


def node_binary() -> str:
    node = shutil.which("node")
    assert node is not None, "Node.js 20 is required (Debian package nodejs)"
    return node


async def run_node(script: Path, *args: str, timeout: float, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Runs `node script args...` in the script's directory (with `env` added to the environment); returns its
    exit code and its output (stdout and stderr together). Killed, and TimeoutError raised, after `timeout` s."""
    proc = await asyncio.create_subprocess_exec(
        node_binary(),
        str(script),
        *args,
        cwd=script.parent,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, **(env or {})},
    )
    try:
        output, _ = await asyncio.wait_for(proc.communicate(), timeout=timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode is not None
    return proc.returncode, output.decode(errors="replace")
