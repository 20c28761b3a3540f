"""Several server processes on one machine (`chancery serve --workers N`), sharing one PostgreSQL database.

The supervisor (this process) prepares what must happen once (schema migrations, the durability check,
the signing key), then starts N identical worker processes. Each binds the same port with SO_REUSEPORT,
so the kernel spreads new connections across them. The supervisor forwards SIGTERM/SIGINT for a
graceful stop and restarts a worker that dies on its own; a worker that keeps dying right after start
(e.g. the database is gone) stops the whole server instead of restarting forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import signal
import sys
import time
from collections.abc import Callable, Coroutine
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any

from .config import Config

log = logging.getLogger(__name__)

Serve = Callable[[Config, bool], Coroutine[Any, Any, None]]

# A worker that dies sooner than this after its start counts as a failed start.
MIN_UPTIME_S = 10.0
MAX_FAILED_STARTS = 5
STOP_TIMEOUT_S = 30.0


def run_workers(config: Config, created: bool, serve: Serve) -> None:
    if config.uses_sqlite:
        raise SystemExit(
            "--workers > 1 needs PostgreSQL: SQLite allows one writing process. Use --database postgresql://..."
            " (see docs/operations.md), or run one process."
        )
    asyncio.run(_prepare(config))
    sys.exit(Supervisor(config, created, serve).run())


async def _prepare(config: Config) -> None:
    """What the workers must not race on: migrations, the durability check, creating the signing key."""
    from .app import load_or_create_signing_key, open_database
    from .storage.pg_checks import check_durability

    load_or_create_signing_key(config)
    db = await open_database(config)
    try:
        await check_durability(db, allow_unsafe=config.allow_unsafe_durability)
    finally:
        await db.close()


def _worker_main(config: Config, created: bool, serve: Serve, index: int) -> None:
    from .logging_setup import configure_logging

    configure_logging()
    log.info("worker %d started", index)
    asyncio.run(serve(config, created))


class Supervisor:
    def __init__(self, config: Config, created: bool, serve: Serve) -> None:
        self.config = config
        self.created = created
        self.serve = serve
        # spawn: each worker starts from a clean interpreter (no inherited event loop, pool or threads).
        self.context = multiprocessing.get_context("spawn")
        self.workers: dict[int, BaseProcess] = {}
        self.started_at: dict[int, float] = {}
        self.failed_starts: dict[int, int] = {}
        self.stopping = False
        self.exit_code = 0

    def run(self) -> int:
        previous = {sig: signal.signal(sig, self._request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            for index in range(self.config.workers):
                self._start(index)
            print(
                f"Chancery supervisor (pid {multiprocessing.current_process().pid}) runs"
                f" {self.config.workers} workers on {self.config.listen}",
                flush=True,
            )
            while not self.stopping:
                sentinels = [p.sentinel for p in self.workers.values()]
                wait(sentinels, timeout=0.5)
                self._reap()
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return self.exit_code

    def _request_stop(self, signum: int, _frame: FrameType | None) -> None:
        self.stopping = True

    def _start(self, index: int) -> None:
        # Only the first worker announces a freshly created data directory.
        process = self.context.Process(
            target=_worker_main,
            args=(self.config, self.created and index == 0, self.serve, index),
            name=f"chancery-worker-{index}",
        )
        process.start()
        self.workers[index] = process
        self.started_at[index] = time.monotonic()
        print(f"worker {index} running as pid {process.pid}", flush=True)

    def _reap(self) -> None:
        for index, process in list(self.workers.items()):
            if process.is_alive() or self.stopping:
                continue
            uptime = time.monotonic() - self.started_at[index]
            failed = self.failed_starts.get(index, 0) + 1 if uptime < MIN_UPTIME_S else 0
            self.failed_starts[index] = failed
            print(
                f"worker {index} (pid {process.pid}) exited with {process.exitcode} after {uptime:.1f} s",
                file=sys.stderr,
                flush=True,
            )
            if failed >= MAX_FAILED_STARTS:
                print(f"worker {index} failed {failed} starts in a row: stopping", file=sys.stderr, flush=True)
                self.exit_code = 1
                self.stopping = True
                return
            if failed:
                time.sleep(min(2.0**failed * 0.25, 5.0))  # back off while whatever killed it recovers
            if not self.stopping:
                self._start(index)

    def _stop_all(self) -> None:
        """SIGTERM every worker (graceful: in-flight requests finish), SIGKILL whatever outlives the timeout."""
        for process in self.workers.values():
            if process.is_alive() and process.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    process.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for process in self.workers.values():
            process.join(max(0.0, deadline - time.monotonic()))
        for process in self.workers.values():
            if process.is_alive():
                print(f"worker pid {process.pid} did not stop in time: killing it", file=sys.stderr, flush=True)
                process.kill()
                process.join()
