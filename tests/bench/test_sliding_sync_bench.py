"""The sliding sync benchmark scenario (bench/sliding_sync.py), run small in-process against the test server."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.serverproc import ServerProcess

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import sliding_sync


async def test_sliding_sync_scenario_lists_rooms_and_times_messages(server: ServerProcess) -> None:
    assert server.proc is not None
    params = sliding_sync.SlidingSyncParams(rooms=22, runs=2, rounds=3, poll_timeout_ms=10_000)
    result = await sliding_sync.run_sliding_sync(server.base_url, params, [server.proc.pid])
    assert result["errors"] == 0, result["error_kinds"]
    assert result["initial_list_ms"] > 0 and 0 < result["incremental_p50_ms"] <= result["incremental_p99_ms"]
