"""Profile Chancery under the send scenario with py-spy (install: .venv/bin/pip install -e '.[bench]').

    .venv/bin/python bench/profile.py [--db sqlite|postgres] [--quick] [--top 30]

Runs the send scenario twice, each against a freshly started Chancery with py-spy attached to it:
once for a flame graph (bench/results/profile.svg), once for collapsed stacks (bench/results/profile.txt), from
which it prints and writes (bench/results/profile-top.md) the functions with the most samples, by own time
(the function itself was running) and by total time (the function was anywhere on the stack).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadgen import SendParams, run_send
from servers import ROOT, ChanceryServer

RESULTS = ROOT / "bench" / "results"
PY_SPY = ROOT / ".venv" / "bin" / "py-spy"


def profiled_send(
    engine: str, params: SendParams, fmt: str, output: Path, rate: int, idle: bool = False
) -> dict[str, object]:
    """One send scenario against a fresh Chancery while py-spy samples it into `output`."""
    workdir = Path(tempfile.mkdtemp(prefix="chancery-profile-"))
    server = ChanceryServer("chancery", workdir, engine).start()
    spy = subprocess.Popen(
        [
            str(PY_SPY),
            "record",
            "--pid",
            str(server.pids[0]),
            "--subprocesses",
            "--rate",
            str(rate),
            "--format",
            fmt,
            "--output",
            str(output),
            *(["--idle"] if idle else []),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        time.sleep(1.0)  # let py-spy attach before the load starts
        if spy.poll() is not None:
            raise RuntimeError(f"py-spy exited: {spy.stderr.read().decode() if spy.stderr else ''}")
        return asyncio.run(run_send(server.base_url, params, server.pids))
    finally:
        spy.send_signal(signal.SIGINT)  # py-spy writes its output when interrupted
        try:
            spy.wait(timeout=60)
        except subprocess.TimeoutExpired:
            spy.kill()
        server.remove()


def _function_of(frame: str) -> str:
    """'f (path/x.py:12)' -> 'f (path/x.py)': all lines of one function together."""
    head, _, line = frame.rpartition(":")
    return head + ")" if line.endswith(")") and line[:-1].isdigit() else frame


def top_functions(
    collapsed: Path, top: int
) -> tuple[int, list[tuple[str, int]], list[tuple[str, int]], list[tuple[str, int]]]:
    """From py-spy's collapsed stacks: total samples, and the top frames by own time (file:line), by total time
    (file:line: which call site), and by total time per function (all its lines together)."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    per_function: Counter[str] = Counter()
    samples = 0
    for line in collapsed.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [f for f in stack.split(";") if not f.startswith("process ") and not f.startswith("thread ")]
        if not frames:
            continue
        samples += count
        own[frames[-1]] += count
        for frame in set(frames):
            total[frame] += count
        for function in {_function_of(f) for f in frames}:
            per_function[function] += count
    return samples, own.most_common(top), total.most_common(top), per_function.most_common(top)


def table(title: str, rows: list[tuple[str, int]], samples: int) -> str:
    lines = [f"### {title}", "", "| samples | % | function (file:line) |", "| ---: | ---: | --- |"]
    for frame, count in rows:
        lines.append(f"| {count} | {100 * count / max(samples, 1):.1f} | `{frame.replace(str(ROOT) + '/', '')}` |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rate", type=int, default=100, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument(
        "--messages", type=int, help="messages to send (more makes setup, which is also sampled, a smaller share)"
    )
    parser.add_argument(
        "--idle", action="store_true", help="also sample threads that are waiting (I/O, locks, fsync), not only CPU"
    )
    parser.add_argument("--no-svg", action="store_true", help="skip the flame graph run")
    args = parser.parse_args(argv)
    # On SIGTERM (e.g. from `timeout`), unwind normally so the `finally` blocks stop the servers we started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not PY_SPY.exists():
        sys.exit(f"{PY_SPY} is missing: .venv/bin/pip install -e '.[bench]'")
    params = SendParams(users=6, rooms=2, senders=4, messages=200) if args.quick else SendParams()
    if args.messages:
        params = replace(params, messages=args.messages)
    RESULTS.mkdir(parents=True, exist_ok=True)
    if not args.no_svg:
        result = profiled_send(args.db, params, "flamegraph", RESULTS / "profile.svg", args.rate, args.idle)
        print(f"flame graph run: {result}", flush=True)
    collapsed = RESULTS / "profile.txt"
    result = profiled_send(args.db, params, "raw", collapsed, args.rate, args.idle)
    print(f"collapsed-stacks run: {result}", flush=True)
    samples, own, total, per_function = top_functions(collapsed, args.top)
    report = "\n\n".join(
        [
            f"## Chancery send-scenario profile ({args.db}, {samples} samples at {args.rate}/s"
            f"{', waiting threads included' if args.idle else ', CPU only'})",
            f"Scenario: {params}; throughput {result['send_throughput_msgs_per_s']} msgs/s, "
            f"delivery p99 {result['delivery_p99_ms']} ms.",
            table("Own time (the function itself was running)", own, samples),
            table("Total time per function (all its lines; the function was on the stack)", per_function, samples),
            table("Total time per call site (file:line on the stack)", total, samples),
        ]
    )
    (RESULTS / f"profile-top{'-idle' if args.idle else ''}.md").write_text(report + "\n", encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
