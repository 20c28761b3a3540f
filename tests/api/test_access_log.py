"""The access log: one JSON line per request (method, path without query, status, duration, request ID),
never a token or a query string; off with [http] access_log = false."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.client import Api, C, q
from tests.conftest import ENGINES
from tests.own_server import RELAXED, own_server
from tests.serverproc import ServerProcess


def log_file(server: ServerProcess) -> Path:
    return server.data_dir.parent / f"server-{server.port}.log"


def access_lines(server: ServerProcess) -> list[dict[str, Any]]:
    lines = []
    for line in log_file(server).read_text(errors="replace").splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            if entry.get("logger") == "chancery.access":
                lines.append(entry)
    return lines


async def lines_mentioning(server: ServerProcess, marker: str, count: int) -> list[dict[str, Any]]:
    for _ in range(50):  # the log is written as requests finish; allow for buffering
        found = [entry for entry in access_lines(server) if marker in entry["msg"]]
        if len(found) >= count:
            return found
        await asyncio.sleep(0.1)
    return [entry for entry in access_lines(server) if marker in entry["msg"]]


async def test_each_request_is_logged_without_query_or_token(api: Api, server: ServerProcess) -> None:
    user = await api.register()
    marker = "logged" + secrets.token_hex(6)
    secret = "querysecret" + secrets.token_hex(6)
    profile = await api.request("GET", f"{C}/profile/{q('@' + marker + ':localhost')}", user, params={"secret": secret})
    send = await api.request("PUT", f"{C}/rooms/{q('!' + marker + ':localhost')}/send/m.room.message/t1", user, json={})
    found = await lines_mentioning(server, marker, 2)
    assert [(e["msg"].split()[0], e["status"]) for e in found] == [("GET", profile.status), ("PUT", send.status)]
    for entry in found:
        assert entry["level"] == "info"
        assert isinstance(entry["duration_ms"], int | float) and entry["duration_ms"] >= 0
        assert isinstance(entry["request_id"], str) and entry["request_id"]
    assert found[0]["msg"] == f"GET /_matrix/client/v3/profile/@{marker}:localhost {profile.status}"
    assert len({e["request_id"] for e in found}) == 2
    text = log_file(server).read_text(errors="replace")
    assert secret not in text and user.token not in text and user.token.removeprefix("chy_") not in text


@pytest.fixture(scope="module", params=ENGINES)
def quiet_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    yield from own_server(request, tmp_path_factory, "quiet", "[http]\naccess_log = false\n", *RELAXED)


async def test_the_access_log_can_be_turned_off(quiet_server: ServerProcess) -> None:
    api = Api(quiet_server.base_url)
    try:
        user = await api.register()
        for _ in range(3):
            await api.ok("GET", C + "/account/whoami", user)
    finally:
        await api.close()
    await asyncio.sleep(0.3)
    assert access_lines(quiet_server) == []
