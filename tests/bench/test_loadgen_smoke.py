"""The benchmark load generator (bench/loadgen.py), run in-process against the test server on both engines."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.serverproc import ServerProcess

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import loadgen
import procmem


async def test_send_scenario_delivers_every_message_to_every_member(server: ServerProcess) -> None:
    assert server.proc is not None
    params = loadgen.SendParams(
        users=3, rooms=1, senders=2, messages=20, sync_timeout_ms=2000, send_phase_limit_s=60, delivery_timeout_s=30
    )
    result = await loadgen.run_send(server.base_url, params, [server.proc.pid])
    assert result["errors"] == 0, result["error_kinds"]
    assert result["sent_ok"] == 20
    assert result["deliveries_expected"] == 20 * 2  # each message reaches the two members who did not send it
    assert result["deliveries_seen"] == result["deliveries_expected"]
    assert result["limited_timelines"] == 0
    assert result["send_throughput_msgs_per_s"] > 0
    assert 0 < result["delivery_p50_ms"] <= result["delivery_p99_ms"]
    assert result["peak_rss_mib"] > 0


async def test_send_scenario_with_pushers_measures_every_push(server: ServerProcess) -> None:
    params = loadgen.SendParams(
        users=3,
        rooms=1,
        senders=2,
        messages=10,
        sync_timeout_ms=2000,
        send_phase_limit_s=60,
        delivery_timeout_s=30,
        pushers=True,
    )
    result = await loadgen.run_send(server.base_url, params)
    assert result["errors"] == 0, result["error_kinds"]
    assert result["pushes_expected"] == 10 * 2  # each message is pushed to the two members who did not send it
    assert result["pushes_seen"] == result["pushes_expected"]
    assert 0 < result["push_p50_ms"] <= result["push_p99_ms"]


async def test_initial_sync_scenario_sees_all_rooms(server: ServerProcess) -> None:
    params = loadgen.InitialSyncParams(room_counts=(2, 4), runs=2)
    result = await loadgen.run_initial_sync(server.base_url, params)
    assert result["initial_sync_2_rooms_ms"] > 0 and result["initial_sync_4_rooms_ms"] > 0


def test_server_process_is_found_by_its_port(server: ServerProcess) -> None:
    assert server.proc is not None
    assert server.proc.pid in procmem.pids_listening_on(server.port)
    assert procmem.total_rss([server.proc.pid]) > 10 * 1024 * 1024
