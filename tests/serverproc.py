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


def _psql(sql: str, admin_dsn: str) -> None:
    import asyncio

    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(admin_dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


def create_pg_database(prefix: str = "chancery_test", admin_dsn: str = PG_ADMIN_DSN, *, c_locale: bool = False) -> str:
    """A fresh, empty database (C collation and UTF8 when `c_locale`, as Synapse requires); returns its DSN."""
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    options = " ENCODING 'UTF8' LC_COLLATE='C' LC_CTYPE='C' TEMPLATE template0" if c_locale else ""
    _psql(f'CREATE DATABASE "{name}"{options}', admin_dsn)
    return admin_dsn.rsplit("/", 1)[0] + "/" + name


def drop_pg_database(dsn: str, admin_dsn: str = PG_ADMIN_DSN) -> None:
    name = dsn.rsplit("/", 1)[1]
    _psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', admin_dsn)


def wait_until_serving(proc: subprocess.Popen[bytes] | None, url: str, timeout: float, log: Path) -> None:
    """Poll `url` until it answers 200; fail early, with the log's tail, if the process exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise RuntimeError(f"server exited with {proc.returncode}; see {log}:\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server did not answer within {timeout:.0f}s; see {log}")


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

    @property
    def log_path(self) -> Path:
        return self.data_dir.parent / f"server-{self.port}.log"

    def start(self) -> ServerProcess:
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the process
        self.proc = subprocess.Popen(
            [*self.command("serve"), "--listen", f"127.0.0.1:{self.port}", *self.extra_args],
            stdout=log,
            stderr=log,
        )
        self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 30.0) -> None:
        wait_until_serving(self.proc, self.base_url + "/health", timeout, self.log_path)

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
