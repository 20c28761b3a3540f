"""Schemathesis over the Matrix client-server OpenAPI (../shared/matrix-spec/client-server-api.json): every
phase (the spec's examples, coverage of each parameter's edge values, random fuzzing, stateful sequences),
positive and negative data, against a real server with a signed-in user. No request may get a 5xx.

Bounded in time (CHANCERY_SCHEMATHESIS_SECONDS per engine, default 75); long-polls (/sync, /events) and the
endpoints that would end the fuzzing user's session are left out."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.client import Api, C
from tests.conftest import ENGINES
from tests.own_server import RELAXED, own_server
from tests.serverproc import ServerProcess


def _spec() -> Path | None:
    """The spec's bundled OpenAPI in the shared/ folder beside the repository (or beside a folder above it)."""
    for folder in Path(__file__).resolve().parents[2:]:
        candidate = folder / "shared" / "matrix-spec" / "client-server-api.json"
        if candidate.exists():
            return candidate
    return None


SPEC = _spec()
SECONDS = int(os.environ.get("CHANCERY_SCHEMATHESIS_SECONDS", "75"))
# Long-polls would only wait; the rest would sign the fuzzing user out, so everything after answers 401.
EXCLUDED = r"(/sync$|/events$|/logout|/account/deactivate|/delete_devices|/devices/\{deviceId\}$|/account/password$)"


@pytest.fixture(scope="module", params=ENGINES)
def fuzzed_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    yield from own_server(request, tmp_path_factory, "schemathesis", "", *RELAXED)


@pytest.mark.slow
async def test_no_request_gets_a_server_error(fuzzed_server: ServerProcess, tmp_path: Path) -> None:
    assert SPEC is not None, "the Matrix spec (shared/matrix-spec) is not beside the repository"
    api = Api(fuzzed_server.base_url)
    try:
        user = await api.register()
        # Something to find: a room with a message, so that room and event paths reach real data.
        room = await api.create_room(user, name="Fuzzed", preset="public_chat")
        await api.send(user, room, "hello")
    finally:
        await api.close()
    command = [
        str(Path(sys.executable).with_name("st")),
        "run",
        str(SPEC),
        "--url",
        fuzzed_server.base_url,
        "--header",
        f"Authorization: Bearer {user.token}",
        "--checks",
        "not_a_server_error",
        "--max-time",
        str(SECONDS),
        "--workers",
        "1",
        "--exclude-path-regex",
        EXCLUDED,
        "--suppress-health-check",
        "all",
        "--warnings",
        "off",
        "--request-timeout",
        "20",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=SECONDS + 300, cwd=tmp_path)
    summary = result.stdout[-6000:]
    assert result.returncode == 0, f"schemathesis found server errors or failed to run:\n{summary}\n{result.stderr}"
    assert "Tested:" in result.stdout, summary
    # The user is still signed in: the run tested the API, not 401 answers.
    api = Api(fuzzed_server.base_url)
    try:
        assert (await api.ok("GET", C + "/account/whoami", user))["user_id"] == user.user_id
    finally:
        await api.close()
