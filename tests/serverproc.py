"""Running a real `chancery serve` process for tests, on SQLite or on a fresh PostgreSQL database."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

PG_ADMIN_DSN = os.environ.get("CHANCERY_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _psql(sql: str) -> None:
    import asyncio

    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


def create_pg_database() -> str:
    """A fresh, empty database for one test run; returns its DSN."""
    name = f"chancery_test_{os.getpid()}_{secrets.token_hex(4)}"
    _psql(f'CREATE DATABASE "{name}"')
    return PG_ADMIN_DSN.rsplit("/", 1)[0] + "/" + name


def drop_pg_database(dsn: str) -> None:
    name = dsn.rsplit("/", 1)[1]
    _psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class ServerProcess:
    data_dir: Path
    engine: str
    extra_args: list[str] = field(default_factory=list)
    port: int = field(default_factory=free_port)
    database: str = "sqlite"
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self, *args: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "chancery",
            *args,
            "--data-dir",
            str(self.data_dir),
            "--database",
            self.database,
        ]

    def start(self) -> ServerProcess:
        log = open(self.data_dir.parent / f"server-{self.port}.log", "ab")  # noqa: SIM115 - owned by the process
        self.proc = subprocess.Popen(
            [*self.command("serve"), "--listen", f"127.0.0.1:{self.port}", *self.extra_args],
            stdout=log,
            stderr=log,
        )
        self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; see {self.data_dir.parent}")
            try:
                with urllib.request.urlopen(self.base_url + "/health", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("server did not become ready")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def run_cli(self, *args: str) -> str:
        result = subprocess.run(self.command(*args), capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise RuntimeError(f"chancery {' '.join(args)} failed: {result.stderr}")
        return result.stdout
