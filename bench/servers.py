"""Start Chancery and Synapse the same way for a benchmark: fresh data, 127.0.0.1 only, open registration, no rate
limits, no federation. Synapse comes from PyPI into its own virtual environment (bench/.synapse-venv)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests import serverproc  # noqa: E402 - the tests' server helpers, shared
from tests.serverproc import free_port, wait_until_serving  # noqa: E402

SYNAPSE_VERSION = "1.163.2"
PSYCOPG2_VERSION = "2.9.13"  # psycopg2-binary: the `psycopg2` module Synapse's PostgreSQL engine imports
SYNAPSE_VENV = ROOT / "bench" / ".synapse-venv"
CHANCERY_BIN = ROOT / ".venv" / "bin" / "chancery"
PG_ADMIN_DSN = os.environ.get("CHANCERY_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")

# Synapse's rate limiters, each set far beyond anything the benchmark does ("rate limits off").
_NO_LIMIT = {"per_second": 1_000_000, "burst_count": 1_000_000}
_RATE_LIMIT_KEYS = [
    "rc_message",
    "rc_registration",
    "rc_registration_token_validity",
    "rc_login.address",
    "rc_login.account",
    "rc_login.failed_attempts",
    "rc_admin_redaction",
    "rc_joins.local",
    "rc_joins.remote",
    "rc_joins_per_room",
    "rc_key_requests",
    "rc_3pid_validation",
    "rc_invites.per_room",
    "rc_invites.per_user",
    "rc_invites.per_issuer",
    "rc_third_party_invite",
    "rc_media_create",
    "rc_presence.per_user",
    "rc_delayed_event_mgmt",
    "rc_room_creation",
    "rc_reports",
    "rc_user_directory",
    "rc_profile",
]


def create_pg_database(prefix: str) -> str:
    return serverproc.create_pg_database(prefix, PG_ADMIN_DSN, c_locale=True)


def drop_pg_database(dsn: str) -> None:
    serverproc.drop_pg_database(dsn, PG_ADMIN_DSN)


# -- Synapse installation ------------------------------------------------------------------------------------


def synapse_python() -> Path:
    return SYNAPSE_VENV / "bin" / "python"


def ensure_synapse(log: Path | None = None) -> str:
    """Install the pinned Synapse into bench/.synapse-venv unless it is there already; returns its version."""
    # The distribution's version: synapse.__version__ appends git details when run inside a git checkout.
    probe = "import importlib.metadata as m, synapse, psycopg2; print(m.version('matrix-synapse'))"
    check = [str(synapse_python()), "-c", probe]
    if synapse_python().exists():
        done = subprocess.run(check, capture_output=True, text=True, timeout=120)
        if done.returncode == 0 and done.stdout.strip() == SYNAPSE_VERSION:
            return SYNAPSE_VERSION
    print(f"Installing matrix-synapse=={SYNAPSE_VERSION} into {SYNAPSE_VENV} ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(SYNAPSE_VENV)], check=True, timeout=300)
    pip = [str(SYNAPSE_VENV / "bin" / "pip"), "install", "--disable-pip-version-check", "-q"]
    packages = [f"matrix-synapse=={SYNAPSE_VERSION}", f"psycopg2-binary=={PSYCOPG2_VERSION}"]
    with open(log or os.devnull, "ab") as out:
        subprocess.run([*pip, *packages], check=True, timeout=1800, stdout=out, stderr=out)
    done = subprocess.run(check, capture_output=True, text=True, timeout=120, check=True)
    return done.stdout.strip()


# -- running servers -----------------------------------------------------------------------------------------


@dataclass
class Server:
    """A homeserver process on 127.0.0.1 with its own fresh data directory (and database, on PostgreSQL)."""

    name: str
    workdir: Path
    engine: str  # "sqlite" or "postgres"
    port: int = field(default_factory=free_port)
    pg_dsn: str | None = None
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pids(self) -> list[int]:
        return [self.proc.pid] if self.proc is not None else []

    @property
    def log_path(self) -> Path:
        return self.workdir / "server.log"

    def command(self) -> list[str]:
        raise NotImplementedError

    def prepare(self) -> None:
        """Write configuration before the first start."""

    def start(self, ready_timeout: float = 300.0) -> Server:
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.engine == "postgres" and self.pg_dsn is None:
            self.pg_dsn = create_pg_database(f"bench_{self.name}")
        self.prepare()
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child process
        self.proc = subprocess.Popen(self.command(), stdout=log, stderr=log, cwd=self.workdir)
        log.close()
        self._wait_ready(ready_timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        wait_until_serving(self.proc, self.base_url + "/_matrix/client/versions", timeout, self.log_path)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        if self.pg_dsn is not None:
            drop_pg_database(self.pg_dsn)
            self.pg_dsn = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


class ChanceryServer(Server):
    # chancery.toml for this run (e.g. a retention policy for the purge-running send); empty: the defaults.
    config_toml: str = ""

    def prepare(self) -> None:
        if self.config_toml:
            (self.workdir / "data").mkdir(parents=True, exist_ok=True)
            (self.workdir / "data" / "chancery.toml").write_text(self.config_toml, encoding="utf-8")

    def command(self) -> list[str]:
        database = self.pg_dsn or "sqlite"
        return [
            str(CHANCERY_BIN),
            "serve",
            "--open-registration",
            "--no-rate-limits",
            "--data-dir",
            str(self.workdir / "data"),
            "--listen",
            f"127.0.0.1:{self.port}",
            "--database",
            database,
        ]


class SynapseServer(Server):
    @property
    def base_config(self) -> Path:
        return self.workdir / "homeserver.yaml"

    @property
    def bench_config(self) -> Path:
        return self.workdir / "bench-overrides.yaml"

    def prepare(self) -> None:
        if not self.base_config.exists():
            # Synapse's own generator makes the secrets and the signing key; our overrides file comes after it.
            subprocess.run(
                [
                    str(synapse_python()),
                    "-m",
                    "synapse.app.homeserver",
                    "--server-name",
                    "localhost",
                    "--config-path",
                    str(self.base_config),
                    "--generate-config",
                    "--report-stats=no",
                    "--data-directory",
                    str(self.workdir),
                ],
                check=True,
                capture_output=True,
                timeout=120,
                cwd=self.workdir,
            )
        # JSON is YAML: no YAML library needed on our side.
        self.bench_config.write_text(json.dumps(self.overrides(), indent=2), encoding="utf-8")
        log_config = {
            "version": 1,
            "formatters": {"plain": {"format": "%(asctime)s %(name)s %(levelname)s %(message)s"}},
            "handlers": {"file": {"class": "logging.FileHandler", "filename": str(self.workdir / "synapse.log")}},
            "root": {"level": "WARNING", "handlers": ["file"]},
            "disable_existing_loggers": False,
        }
        (self.workdir / "log.yaml").write_text(json.dumps(log_config), encoding="utf-8")

    def overrides(self) -> dict[str, object]:
        if self.pg_dsn:
            database: dict[str, object] = {
                "name": "psycopg2",
                "args": {
                    "user": "postgres",
                    "host": "127.0.0.1",
                    "port": 5432,
                    "database": self.pg_dsn.rsplit("/", 1)[1],
                    "cp_min": 5,
                    "cp_max": 10,
                },
            }
        else:
            database = {"name": "sqlite3", "args": {"database": str(self.workdir / "homeserver.db")}}
        config: dict[str, object] = {
            "listeners": [
                {
                    "port": self.port,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": database,
            "log_config": str(self.workdir / "log.yaml"),
            "report_stats": False,
            "enable_registration": True,
            "enable_registration_without_verification": True,
            "federation_domain_whitelist": [],
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "presence": {"enabled": True},  # Chancery's default: presence on
            "url_preview_enabled": False,
            # Password hashing cost only slows the setup of 10,000 accounts (Synapse's default of 12 rounds would
            # take ~40 CPU minutes here); no measured figure includes registration time.
            "bcrypt_rounds": 4,
        }
        for key in _RATE_LIMIT_KEYS:
            target = config
            *parents, leaf = key.split(".")
            for part in parents:
                target = target.setdefault(part, {})  # type: ignore[assignment]
            target[leaf] = dict(_NO_LIMIT)
        return config

    def command(self) -> list[str]:
        return [
            str(synapse_python()),
            "-m",
            "synapse.app.homeserver",
            "--config-path",
            str(self.base_config),
            "--config-path",
            str(self.bench_config),
        ]


def make_server(kind: str, workdir: Path, engine: str) -> Server:
    cls = {"chancery": ChanceryServer, "synapse": SynapseServer}[kind]
    return cls(kind, workdir / kind, engine)
