"""`chancery port-db`: a pilot on SQLite moves to PostgreSQL and serves the same accounts, rooms and messages."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.client import Api, C, User, q
from tests.conftest import ENGINES, make_server
from tests.serverproc import ServerProcess, create_pg_database, drop_pg_database

pytestmark = pytest.mark.skipif("postgres" not in ENGINES, reason="the target of port-db is PostgreSQL")


@pytest.fixture
def target_dsn() -> Iterator[str]:
    dsn = create_pg_database()
    yield dsn
    drop_pg_database(dsn)


def port_db(source: Path, target: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "chancery",
            "port-db",
            "--from",
            f"sqlite:{source}",
            "--to",
            target,
            "--batch-rows",
            "7",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


async def all_messages(api: Api, user: User, room: str) -> list[tuple[str, str]]:
    """(event_id, body) of every message in the room, oldest first, through /messages."""
    found: list[tuple[str, str]] = []
    token: str | None = None
    while True:
        params = {"dir": "b", "limit": "50", **({"from": token} if token else {})}
        body: Any = await api.ok("GET", f"{C}/rooms/{q(room)}/messages", user, params=params)
        found += [(e["event_id"], e["content"]["body"]) for e in body["chunk"] if e["type"] == "m.room.message"]
        if not body["chunk"] or "end" not in body:
            return list(reversed(found))
        token = body["end"]


async def test_a_sqlite_pilot_moves_to_postgresql_and_serves_the_same_data(tmp_path: Path, target_dsn: str) -> None:
    pilot = make_server(tmp_path, "sqlite", "--open-registration", "--no-rate-limits").start()
    try:
        api = Api(pilot.base_url)
        alice = await api.register(password="alice's long passphrase")
        bob = await api.register(password="bob's long passphrase")
        room = await api.create_room(alice, name="Budget 2027", preset="private_chat", invite=[bob.user_id])
        await api.join(bob, room)
        for index in range(30):
            await api.send(alice if index % 2 else bob, room, f"line {index}")
        await api.ok("PUT", f"{C}/user/{q(alice.user_id)}/account_data/org.example.settings", alice, json={"a": 1})
        alice_since = (await api.sync(alice))["next_batch"]
        before = await all_messages(api, alice, room)
        await api.close()
    finally:
        pilot.stop()
    assert len(before) == 30

    result = port_db(pilot.data_dir / "chancery.db", target_dsn)
    assert result.returncode == 0, result.stderr
    counts = {
        parts[0]: int(parts[1])
        for line in result.stdout.splitlines()
        if len(parts := line.split()) == 2 and parts[1].isdigit()
    }
    assert counts["users"] == 2
    assert counts["stream_counters"] == 1
    assert counts["events"] >= 30 + 6

    production = ServerProcess(pilot.data_dir, "postgres", ["--no-rate-limits"], database=target_dsn).start()
    try:
        api = Api(production.base_url)
        alice_again = await api.login(alice)  # the same password works
        assert room in (await api.ok("GET", C + "/joined_rooms", alice_again))["joined_rooms"]
        assert await all_messages(api, alice_again, room) == before
        name = await api.ok("GET", f"{C}/rooms/{q(room)}/state/m.room.name/", bob)  # bob's old token still works
        assert name == {"name": "Budget 2027"}
        settings = await api.ok("GET", f"{C}/user/{q(alice.user_id)}/account_data/org.example.settings", alice)
        assert settings == {"a": 1}
        # The search index is each engine's own: rebuilt on PostgreSQL from the moved events.
        criteria = {"search_term": "line", "keys": ["content.body"]}
        found = await api.ok("POST", C + "/search", alice, json={"search_categories": {"room_events": criteria}})
        assert found["search_categories"]["room_events"]["count"] == 30
        # The stream counter moved too: a sync token from the pilot sees exactly what came after it.
        new_event = await api.send(bob, room, "first message on PostgreSQL")
        body = await api.sync(alice, alice_since)
        timeline = body["rooms"]["join"][room]["timeline"]["events"]
        assert [e["event_id"] for e in timeline] == [new_event]
        await api.close()
    finally:
        production.stop()

    again = port_db(pilot.data_dir / "chancery.db", target_dsn)
    assert again.returncode != 0
    assert "not empty" in again.stderr


def test_refuses_a_missing_source_file(tmp_path: Path, target_dsn: str) -> None:
    result = port_db(tmp_path / "nothing.db", target_dsn)
    assert result.returncode != 0
    assert "does not exist" in result.stderr
