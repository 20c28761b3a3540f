"""Running a Node.js test script (real JavaScript client libraries, a real browser) and collecting its output."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path


def node_binary() -> str:
    node = shutil.which("node")
    assert node is not None, "Node.js 20 is required (Debian package nodejs)"
    return node


async def run_node(script: Path, *args: str, timeout: float) -> tuple[int, str]:
    """Runs `node script args...` in the script's directory; returns its exit code and its output (stdout and
    stderr together). Killed, and TimeoutError raised, after `timeout` seconds."""
    proc = await asyncio.create_subprocess_exec(
        node_binary(),
        str(script),
        *args,
        cwd=script.parent,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(proc.communicate(), timeout=timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode is not None
    return proc.returncode, output.decode(errors="replace")
