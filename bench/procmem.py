"""Server memory from /proc: find a server's processes by listening port, sum their RSS, sample the peak."""

from __future__ import annotations

import os
import threading
from pathlib import Path

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PROC = Path("/proc")


def _listening_inodes(port: int) -> set[str]:
    """Socket inodes listening on `port` (state 0A = LISTEN) in /proc/net/tcp and tcp6."""
    inodes: set[str] = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = (PROC / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == "0A":
                inodes.add(fields[9])
    return inodes


def pids_listening_on(port: int) -> list[int]:
    """The processes holding a listening socket on `port` (all workers, when they share it)."""
    wanted = {f"socket:[{inode}]" for inode in _listening_inodes(port)}
    found: list[int] = []
    if not wanted:
        return found
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            for fd in (entry / "fd").iterdir():
                if os.readlink(fd) in wanted:
                    found.append(int(entry.name))
                    break
        except OSError:
            continue  # the process went away or is not ours to look at
    return sorted(found)


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for task in (PROC / str(pid) / "task").iterdir():
            text = (task / "children").read_text().split()
            kids.extend(int(k) for k in text)
    except OSError:
        pass
    return kids


def process_tree(pids: list[int]) -> list[int]:
    """The given processes and all their descendants (a server's worker processes count as the server)."""
    seen: set[int] = set()
    todo = list(pids)
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        todo.extend(_children(pid))
    return sorted(seen)


def rss_bytes(pid: int) -> int:
    try:
        return int((PROC / str(pid) / "statm").read_text().split()[1]) * PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return 0


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time used so far by the process tree (to tell a CPU-bound server from an idle one)."""
    ticks = 0
    for pid in process_tree(pids):
        try:
            fields = (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        except (OSError, IndexError, ValueError):
            continue
    return ticks / CLOCK_TICKS


def total_rss(pids: list[int]) -> int:
    return sum(rss_bytes(pid) for pid in process_tree(pids))


class RssSampler:
    """Samples the summed RSS of a process tree every `interval` seconds on a thread; keeps the peak.

    A thread rather than an asyncio task so that a busy load generator loop does not stretch the interval.
    """

    def __init__(self, pids: list[int], interval: float = 0.1) -> None:
        self.pids = pids
        self.interval = interval
        self.peak = 0
        self.last = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sample(self) -> int:
        self.last = total_rss(self.pids)
        self.peak = max(self.peak, self.last)
        self.samples += 1
        return self.last

    def restart_peak(self) -> int:
        """Start a new measuring phase: returns the peak so far and starts the next peak from the current RSS."""
        previous = self.peak
        self.peak = 0
        if self.pids:
            self.sample()
        return previous

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def start(self) -> RssSampler:
        if self.pids and self._thread is None:
            self.sample()
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> int:
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=5)
            self._thread = None
        if self.pids:
            self.sample()
        return self.peak


def mib(value: int) -> float:
    return round(value / (1024 * 1024), 1)
