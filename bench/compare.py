"""Chancery and Synapse side by side: the same client-server scenarios against both, one table with the ratios.

    .venv/bin/python bench/compare.py [--db sqlite|postgres] [--quick] [--scenarios send,initial-sync,...]

Installs the pinned Synapse into bench/.synapse-venv on first use. Each scenario gets a freshly started server with
fresh data (and a fresh PostgreSQL database with --db postgres), one server at a time so they never share the CPU.
Writes bench/results/latest.md and latest.json (and a dated copy of each).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadgen import (
    IdleMemoryParams,
    InitialSyncParams,
    SendParams,
    run_idle_memory,
    run_initial_sync,
    run_send,
)
from purge_load import CHANCERY_RETENTION, PurgeLoadParams, run_send_with_purge
from servers import ROOT, SYNAPSE_VERSION, ChanceryServer, Server, ensure_synapse, make_server
from sliding_sync import SlidingSyncParams, run_sliding_sync

SERVERS = ("chancery", "synapse")
SCENARIOS = ("send", "send-push", "initial-sync", "idle-memory", "sliding-sync")
# Chancery only, with --purge-running: the send scenario while the retention purge deletes an expired backlog.
PURGE_SCENARIO = "send-with-purge"
RESULTS = ROOT / "bench" / "results"


@dataclass(frozen=True)
class Figure:
    """One row of the table: where the number is in the results, and the target Chancery must reach."""

    label: str
    scenario: str
    key: str
    target: str = ""
    meets: Callable[[float], bool] | None = None  # applied to the ratio Chancery/Synapse


def figures(initial_counts: tuple[int, ...]) -> list[Figure]:
    rows = [
        Figure("send throughput (msgs/s)", "send", "send_throughput_msgs_per_s", ">= 50x", lambda r: r >= 50),
        Figure("send request p50 (ms)", "send", "send_request_p50_ms"),
        Figure("send request p99 (ms)", "send", "send_request_p99_ms"),
        Figure("delivery latency p50 (ms)", "send", "delivery_p50_ms"),
        Figure("delivery latency p99 (ms)", "send", "delivery_p99_ms", "<= 1/20", lambda r: r <= 0.05),
        Figure("deliveries seen", "send", "deliveries_seen"),
        Figure("deliveries expected", "send", "deliveries_expected"),
        Figure("errors during send scenario", "send", "errors"),
        Figure("server CPU during send phase (cores)", "send", "server_cpu_per_s"),
        Figure("load generator CPU during send phase (cores)", "send", "loadgen_cpu_per_s"),
        Figure("peak RSS, send phase (MiB)", "send", "peak_rss_mib", "< 1x", lambda r: r < 1),
        Figure("peak RSS, send setup incl. registration (MiB)", "send", "setup_peak_rss_mib"),
        # The send scenario again with an HTTP pusher per user, to a push gateway run by the load generator.
        Figure("send throughput with pushers (msgs/s)", "send-push", "send_throughput_msgs_per_s"),
        Figure("delivery latency p99 with pushers (ms)", "send-push", "delivery_p99_ms"),
        Figure("push latency p50 (ms)", "send-push", "push_p50_ms"),
        Figure("push latency p99 (ms)", "send-push", "push_p99_ms"),
        Figure("pushes seen", "send-push", "pushes_seen"),
        Figure("pushes expected", "send-push", "pushes_expected"),
        Figure("errors during send-push scenario", "send-push", "errors"),
        Figure("send throughput, purge running (msgs/s)", PURGE_SCENARIO, "send_throughput_msgs_per_s"),
        Figure("send request p99, purge running (ms)", PURGE_SCENARIO, "send_request_p99_ms"),
        Figure("delivery latency p99, purge running (ms)", PURGE_SCENARIO, "delivery_p99_ms"),
        Figure("expired messages purged meanwhile", PURGE_SCENARIO, "purged_during_scenario"),
        Figure("errors during send scenario, purge running", PURGE_SCENARIO, "errors"),
    ]
    for i, count in enumerate(sorted(initial_counts)):
        last = i == len(initial_counts) - 1
        rows.append(
            Figure(
                f"initial /sync, {count} rooms (ms, median)",
                "initial-sync",
                f"initial_sync_{count}_rooms_ms",
                "<= 1/10" if last else "",
                (lambda r: r <= 0.1) if last else None,
            )
        )
        rows.append(
            Figure(
                f"initial /sync, {count} rooms (ms, first run)", "initial-sync", f"initial_sync_{count}_rooms_first_ms"
            )
        )
    rows += [
        Figure("errors during initial-sync scenario", "initial-sync", "errors"),
        Figure("idle RSS after setup (MiB)", "idle-memory", "idle_rss_mib", "< 1x", lambda r: r < 1),
        Figure("peak RSS while registering/creating (MiB)", "idle-memory", "peak_rss_mib"),
        Figure("errors during idle-memory setup", "idle-memory", "errors"),
        Figure("sliding sync: first 20 of the rooms (ms, median)", "sliding-sync", "initial_list_ms"),
        Figure("sliding sync: first 20 of the rooms (ms, first run)", "sliding-sync", "initial_list_first_ms"),
        Figure("sliding sync: message to long-poll p50 (ms)", "sliding-sync", "incremental_p50_ms"),
        Figure("sliding sync: message to long-poll p99 (ms)", "sliding-sync", "incremental_p99_ms"),
        Figure("errors during sliding-sync scenario", "sliding-sync", "errors"),
    ]
    return rows


def machine() -> dict[str, Any]:
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": model,
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        # Other work on the machine skews every figure: the load average says whether the run was alone.
        "loadavg_1_5_15": [round(x, 2) for x in os.getloadavg()],
    }


def chancery_commit() -> str:
    done = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "src"], capture_output=True, text=True)
    return done.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def scenario_runner(
    name: str, quick: bool, idle_size: tuple[int | None, int | None] = (None, None)
) -> tuple[Callable[[str, list[int]], Coroutine[Any, Any, dict[str, Any]]], dict[str, Any]]:
    if name in ("send", "send-push"):
        send = SendParams(users=6, rooms=2, senders=4, messages=200) if quick else SendParams()
        send = replace(send, pushers=name == "send-push")
        return (lambda url, pids: run_send(url, send, pids)), asdict(send)
    if name == "initial-sync":
        initial = InitialSyncParams(room_counts=(10, 50), runs=3) if quick else InitialSyncParams()
        return (lambda url, pids: run_initial_sync(url, initial, pids)), asdict(initial)
    if name == "sliding-sync":
        sliding = SlidingSyncParams(rooms=30, runs=2, rounds=5) if quick else SlidingSyncParams()
        return (lambda url, pids: run_sliding_sync(url, sliding, pids)), asdict(sliding)
    idle = IdleMemoryParams(users=300, rooms=30, settle_s=3.0) if quick else IdleMemoryParams()
    idle = replace(idle, users=idle_size[0] or idle.users, rooms=idle_size[1] or idle.rooms)
    return (lambda url, pids: run_idle_memory(url, idle, pids)), asdict(idle)


def purge_params(quick: bool) -> dict[str, Any]:
    send = SendParams(users=6, rooms=2, senders=4, messages=200) if quick else SendParams()
    load = PurgeLoadParams(backlog=1_000) if quick else PurgeLoadParams()
    return {"send": asdict(send), "purge": asdict(load)}


async def run_purge_scenario(server: Server, params: dict[str, Any]) -> dict[str, Any]:
    sqlite_path = None if server.pg_dsn else server.workdir / "data" / "chancery.db"
    return await run_send_with_purge(
        server.base_url,
        SendParams(**params["send"]),
        PurgeLoadParams(**params["purge"]),
        server.pids,
        sqlite_path,
        server.pg_dsn,
    )


def ratio(chancery: Any, synapse: Any) -> float | None:
    if not isinstance(chancery, int | float) or not isinstance(synapse, int | float) or synapse == 0:
        return None
    return chancery / synapse


def fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:,.3g}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def table(results: dict[str, dict[str, dict[str, Any]]], rows: list[Figure]) -> str:
    lines = [
        "| figure | Chancery | Synapse | Chancery/Synapse | target | met |",
        "| --- | ---: | ---: | ---: | --- | --- |",
    ]
    for row in rows:
        if not any(row.scenario in results.get(server, {}) for server in SERVERS):
            continue  # a scenario left out of this run
        values = [results.get(server, {}).get(row.scenario, {}).get(row.key) for server in SERVERS]
        r = ratio(*values)
        met = "" if row.meets is None or r is None else ("yes" if row.meets(r) else "NO")
        ratio_text = "—" if r is None else (f"{r:.3g}x" if r < 10 else f"{r:,.1f}x")
        lines.append(f"| {row.label} | {fmt(values[0])} | {fmt(values[1])} | {ratio_text} | {row.target} | {met} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--quick", action="store_true", help="small parameters, for a fast check of the harness")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated subset of " + str(SCENARIOS))
    parser.add_argument("--servers", default=",".join(SERVERS), help="comma-separated subset of " + str(SERVERS))
    parser.add_argument("--idle-users", type=int, help="users in the idle-memory scenario (default 10,000)")
    parser.add_argument("--idle-rooms", type=int, help="rooms in the idle-memory scenario (default 1,000)")
    parser.add_argument("--keep", action="store_true", help="keep the servers' data directories and logs")
    parser.add_argument(
        "--purge-running",
        action="store_true",
        help=f"also run '{PURGE_SCENARIO}' on Chancery: the send scenario while the retention purge runs",
    )
    args = parser.parse_args(argv)
    # On SIGTERM (e.g. from `timeout`), unwind normally so the `finally` blocks stop the servers we started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    scenarios = [s for s in args.scenarios.split(",") if s]
    servers = [s for s in args.servers.split(",") if s]
    if not set(scenarios) <= set(SCENARIOS) or not set(servers) <= set(SERVERS):
        parser.error("unknown scenario or server")
    if args.purge_running:
        scenarios.append(PURGE_SCENARIO)

    RESULTS.mkdir(parents=True, exist_ok=True)
    if "synapse" in servers:
        ensure_synapse(RESULTS / "synapse-install.log")
    workroot = Path(tempfile.mkdtemp(prefix="chancery-bench-"))
    results: dict[str, dict[str, dict[str, Any]]] = {server: {} for server in servers}
    load_before = [round(x, 2) for x in os.getloadavg()]
    params: dict[str, Any] = {}
    started = time.monotonic()
    for scenario in scenarios:
        if scenario == PURGE_SCENARIO:
            params[scenario] = purge_params(args.quick)
        else:
            run, params[scenario] = scenario_runner(scenario, args.quick, (args.idle_users, args.idle_rooms))
        for kind in servers:
            if scenario == PURGE_SCENARIO and kind != "chancery":
                continue
            server = make_server(kind, workroot / scenario, args.db)
            if scenario == PURGE_SCENARIO and isinstance(server, ChanceryServer):
                server.config_toml = CHANCERY_RETENTION
            print(f"[{time.monotonic() - started:7.1f}s] {scenario} on {kind} ({args.db}) ...", flush=True)
            try:
                server.start()
                if scenario == PURGE_SCENARIO:
                    results[kind][scenario] = asyncio.run(run_purge_scenario(server, params[scenario]))
                else:
                    results[kind][scenario] = asyncio.run(run(server.base_url, server.pids))
            except Exception as exc:  # one failing server must not hide the other's figures
                results[kind][scenario] = {"failed": f"{type(exc).__name__}: {exc}"}
                print(f"    FAILED: {exc} (log: {server.log_path})", flush=True)
            finally:
                if args.keep:
                    server.stop()
                else:
                    server.remove()
            print(f"    {json.dumps(results[kind][scenario])}", flush=True)

    initial_counts = tuple(params.get("initial-sync", {}).get("room_counts", ()))
    report = {
        "machine": {**machine(), "loadavg_at_start": load_before},
        "database": args.db,
        "quick": args.quick,
        "chancery_commit": chancery_commit(),
        "synapse_version": SYNAPSE_VERSION,
        "params": params,
        "results": results,
    }
    m = report["machine"]
    markdown = "\n".join(
        [
            f"# Chancery vs Synapse {SYNAPSE_VERSION} — {args.db}{' (quick)' if args.quick else ''}",
            "",
            f"{m['date']}; {m['nproc']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB; Python {m['python']}; "
            f"load average {m['loadavg_at_start'][0]} at start, {m['loadavg_1_5_15'][0]} at end; "
            f"Chancery {report['chancery_commit']}. Command: `{' '.join(['bench/compare.py', *sys.argv[1:]])}`",
            "",
            f"Parameters: `{json.dumps(params)}`",
            "",
            table(results, figures(initial_counts)),
            "",
        ]
    )
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    for name in ("latest", f"{stamp}-{args.db}{'-quick' if args.quick else ''}"):
        (RESULTS / f"{name}.md").write_text(markdown, encoding="utf-8")
        (RESULTS / f"{name}.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    print()
    print(markdown)
    if args.keep:
        print(f"Server data and logs kept in {workroot}")
    else:
        shutil.rmtree(workroot, ignore_errors=True)
    print(f"Written to {RESULTS / 'latest.md'} and {RESULTS / 'latest.json'}")
    failed = any("failed" in r for per in results.values() for r in per.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
