"""Shared fixtures: a real server process per database engine, and a small HTTP client."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.client import Api
from tests.serverproc import ServerProcess, create_pg_database, drop_pg_database

ENGINES = [e for e in os.environ.get("CHANCERY_TEST_ENGINES", "sqlite,postgres").split(",") if e]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: takes more than a few seconds")


def make_server(tmp: Path, engine: str, *extra: str) -> ServerProcess:
    data_dir = tmp / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    database = create_pg_database() if engine == "postgres" else "sqlite"
    return ServerProcess(data_dir, engine, list(extra), database=database)


def start_configured_server(tmp: Path, engine: str, config_toml: str, *extra: str) -> ServerProcess:
    """A dedicated server whose chancery.toml holds `config_toml` (open registration, no rate limits)."""
    (tmp / "data").mkdir(parents=True, exist_ok=True)
    (tmp / "data" / "chancery.toml").write_text(config_toml, encoding="utf-8")
    return make_server(tmp, engine, "--open-registration", "--no-rate-limits", *extra).start()


def cleanup_server(server: ServerProcess) -> None:
    server.stop()
    if server.engine == "postgres":
        drop_pg_database(server.database)


@pytest.fixture(scope="session", params=ENGINES)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One long-lived server per engine, open registration, rate limits off; tests use fresh users."""
    proc = make_server(
        tmp_path_factory.mktemp(f"server-{request.param}"),
        request.param,
        "--open-registration",
        "--no-rate-limits",
    )
    proc.start()
    yield proc
    cleanup_server(proc)


@pytest.fixture
async def api(server: ServerProcess) -> AsyncIterator[Api]:
    client = Api(server.base_url)
    yield client
    await client.close()
