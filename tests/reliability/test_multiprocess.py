"""Several server processes on one PostgreSQL database (PostgreSQL only by nature).

Two independent `chancery serve` processes (as on two machines behind a reverse proxy, each with its own
data directory holding the same signing key) and `chancery serve --workers 2` on one machine.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from chancery.app import load_or_create_signing_key
from chancery.config import Config
from chancery.storage.pg_broadcast import encode_payloads
from tests.client import Api, C, User, q
from tests.conftest import ENGINES
from tests.serverproc import ServerProcess, create_pg_database, drop_pg_database

needs_postgres = pytest.mark.skipif("postgres" not in ENGINES, reason="several processes need PostgreSQL")


class ConfigFileServer(ServerProcess):
    """A server that finds its database in chancery.toml (the `database` key), not on the command line."""

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "chancery", *args, "--data-dir", str(self.data_dir)]


@dataclass
class Pair:
    a: ServerProcess
    b: ServerProcess
    dsn: str

    def stop(self) -> None:
        self.a.stop()
        self.b.stop()
        drop_pg_database(self.dsn)


def start_pair(
    tmp: Path, flags: tuple[str, ...] = ("--open-registration", "--no-rate-limits"), sections: str = ""
) -> Pair:
    """Two processes on one fresh database, started at the same moment (they race on the migrations).
    `sections`: TOML tables both processes' chancery.toml holds."""
    dsn = create_pg_database()
    dir_a, dir_b = tmp / "a" / "data", tmp / "b" / "data"
    dir_b.mkdir(parents=True)
    load_or_create_signing_key(Config(data_dir=dir_a))
    shutil.copy(dir_a / "signing.key", dir_b / "signing.key")  # every machine carries the same key
    if sections:
        (dir_a / "chancery.toml").write_text(sections, encoding="utf-8")
    toml = f'server_name = "localhost"\ndatabase = "{dsn}"\n{sections}'
    (dir_b / "chancery.toml").write_text(toml, encoding="utf-8")
    a = ServerProcess(dir_a, "postgres", list(flags), database=dsn)
    b = ConfigFileServer(dir_b, "postgres", list(flags), database=dsn)
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda server: server.start(), (a, b)))
    return Pair(a, b, dsn)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    started = start_pair(tmp_path_factory.mktemp("pair"))
    yield started
    started.stop()


@pytest.fixture
async def apis(pair: Pair) -> AsyncIterator[tuple[Api, Api]]:
    api_a, api_b = Api(pair.a.base_url), Api(pair.b.base_url)
    yield api_a, api_b
    await api_a.close()
    await api_b.close()


async def room_events_in_db(dsn: str, room_id: str) -> list[tuple[int, dict[str, Any]]]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT stream_pos, json FROM events WHERE room_id = $1 ORDER BY stream_pos", room_id)
    finally:
        await conn.close()
    return [(int(r[0]), json.loads(r[1])) for r in rows]


def assert_linear(events: list[tuple[int, dict[str, Any]]]) -> None:
    """Each event's only parent is the event before it in the room (nothing forked under concurrency)."""
    for (_, before), (_, event) in itertools.pairwise(events):
        assert event["prev_events"] == [before["event_id"]], event
        assert event["depth"] == before["depth"] + 1


def timeline_ids(body: dict[str, Any], room_id: str) -> list[str]:
    room = body.get("rooms", {}).get("join", {}).get(room_id)
    return [] if room is None else [e["event_id"] for e in room["timeline"]["events"]]


@needs_postgres
async def test_sync_on_one_process_wakes_at_once_on_a_send_through_the_other(apis: tuple[Api, Api]) -> None:
    api_a, api_b = apis
    alice = await api_a.register()
    bob_on_b = await api_b.login(await api_a.register())
    room = await api_a.create_room(alice, preset="public_chat")
    await api_b.join(bob_on_b, room)
    since = {"alice": (await api_a.sync(alice))["next_batch"], "bob": (await api_b.sync(bob_on_b))["next_batch"]}
    # Both directions: the waiting /sync lives on the process that did NOT take the send.
    rounds = [(api_a, alice, "alice", api_b, bob_on_b, "bob"), (api_b, bob_on_b, "bob", api_a, alice, "alice")] * 2
    for sender_api, sender, sender_name, waiter_api, waiter, waiter_name in rounds:
        poll = asyncio.create_task(waiter_api.sync(waiter, since[waiter_name], timeout=20_000))
        await asyncio.sleep(0.4)
        assert not poll.done(), "the long-poll returned before anything was sent"
        sent_at = time.monotonic()
        event_id = await sender_api.send(sender, room, "across processes")
        body = await poll
        waited = time.monotonic() - sent_at
        assert event_id in timeline_ids(body, room)
        assert waited < 1.5, f"the /sync on the other process took {waited:.2f} s to wake (long-poll 20 s)"
        since[waiter_name] = body["next_batch"]
        since[sender_name] = (await sender_api.sync(sender, since[sender_name]))["next_batch"]


async def _sync_reader(api: Api, user: User, since: str, rooms: list[str], stop: asyncio.Event) -> dict[str, list[str]]:
    """Sync over and over (as a client does) and return what it saw per room, in order."""
    seen: dict[str, list[str]] = {room: [] for room in rooms}
    big_timeline = json.dumps({"room": {"timeline": {"limit": 1000}}})
    while True:
        stopping = stop.is_set()
        body = await api.sync(user, since, timeout=500, filter=big_timeline)
        for room in rooms:
            entry = body.get("rooms", {}).get("join", {}).get(room)
            if entry is not None:
                assert not entry["timeline"]["limited"]
                seen[room] += [e["event_id"] for e in entry["timeline"]["events"]]
        since = body["next_batch"]
        if stopping:
            return seen


@needs_postgres
async def test_concurrent_writers_on_two_processes_keep_rooms_linear_and_streams_gap_free(
    pair: Pair, apis: tuple[Api, Api]
) -> None:
    api_a, api_b = apis
    owner = await api_a.register()
    rooms = [await api_a.create_room(owner, preset="public_chat") for _ in range(3)]
    senders: list[tuple[Api, User]] = []
    for index in range(6):
        user = await api_a.register()
        api = api_a if index % 2 == 0 else api_b
        if api is api_b:
            user = await api_b.login(user)
        for room in rooms:
            await api.join(user, room)
        senders.append((api, user))
    readers: list[tuple[Api, User]] = []
    for api in (api_a, api_b):
        reader = await api_a.register()
        reader = await api.login(reader) if api is api_b else reader
        for room in rooms:
            await api.join(reader, room)
        readers.append((api, reader))
    tokens = [(await api.sync(user))["next_batch"] for api, user in readers]
    start_pos = min(int(token[1:]) for token in tokens)

    stop = asyncio.Event()
    reading = [
        asyncio.create_task(_sync_reader(api, user, token, rooms, stop))
        for (api, user), token in zip(readers, tokens, strict=True)
    ]
    acknowledged: set[str] = set()

    async def send_many(api: Api, user: User, seed: int) -> None:
        chooser = random.Random(seed)
        for index in range(20):
            acknowledged.add(await api.send(user, chooser.choice(rooms), f"{user.user_id} {index}"))

    # Two concurrent streams per sender: 12 writers over 3 rooms through 2 processes.
    await asyncio.gather(*(send_many(api, user, seed) for seed, (api, user) in enumerate(senders * 2)))
    await asyncio.sleep(0.2)
    stop.set()
    seen_by_readers = await asyncio.gather(*reading)

    assert len(acknowledged) == 240
    for room in rooms:
        stored = await room_events_in_db(pair.dsn, room)
        assert_linear(stored)
        expected = [event["event_id"] for pos, event in stored if pos > start_pos]
        for seen in seen_by_readers:
            # Exactly the committed sequence: nothing skipped (a late commit), nothing twice, same order.
            assert seen[room] == expected
    every_event = {e for seen in seen_by_readers[0].values() for e in seen}
    assert acknowledged <= every_event


@needs_postgres
async def test_a_retried_transaction_through_both_processes_makes_one_event(pair: Pair, apis: tuple[Api, Api]) -> None:
    api_a, api_b = apis
    alice = await api_a.register()
    room = await api_a.create_room(alice)
    content = {"msgtype": "m.text", "body": "sent once, retried everywhere"}
    # The same access token (so the same device) and transaction ID through both processes at once.
    replies = await asyncio.gather(
        *(
            api.request("PUT", f"{C}/rooms/{q(room)}/send/m.room.message/retry-1", alice, json=content)
            for api in [api_a, api_b] * 4
        )
    )
    assert {r.status for r in replies} == {200}
    assert len({r.body["event_id"] for r in replies}) == 1
    stored = await room_events_in_db(pair.dsn, room)
    assert [e for _, e in stored if e["content"].get("body") == content["body"]] != []
    assert len([e for _, e in stored if e["content"].get("body") == content["body"]]) == 1


@needs_postgres
async def test_typing_expiry_in_one_process_reaches_a_sync_on_the_other(apis: tuple[Api, Api]) -> None:
    api_a, api_b = apis
    alice = await api_a.register()
    bob = await api_b.login(await api_a.register())
    room = await api_a.create_room(alice, preset="public_chat")
    await api_b.join(bob, room)
    since = (await api_b.sync(bob))["next_batch"]
    await api_a.ok(
        "PUT", f"{C}/rooms/{q(room)}/typing/{q(alice.user_id)}", alice, json={"typing": True, "timeout": 1000}
    )

    def typing_of(body: dict[str, Any]) -> list[str] | None:
        entry = body.get("rooms", {}).get("join", {}).get(room, {})
        found = [e for e in entry.get("ephemeral", {}).get("events", []) if e["type"] == "m.typing"]
        return found[-1]["content"]["user_ids"] if found else None

    body = await api_b.sync(bob, since, timeout=10_000)
    assert typing_of(body) == [alice.user_id]
    started = time.monotonic()
    # The expiry timer runs in process A; the /sync waiting on B must hear of it without a new send.
    body = await api_b.sync(bob, body["next_batch"], timeout=15_000)
    assert typing_of(body) == []
    assert time.monotonic() - started < 5


@needs_postgres
def test_refuses_a_database_that_loses_acknowledged_commits(tmp_path: Path) -> None:
    dsn = create_pg_database()
    try:
        _alter_database(dsn, "SET synchronous_commit = off")
        data_dir = tmp_path / "data"
        data_dir.mkdir()
        refused = ServerProcess(data_dir, "postgres", database=dsn)
        with pytest.raises(RuntimeError, match="exited"):
            refused.start()
        log = (tmp_path / f"server-{refused.port}.log").read_text()
        assert "synchronous_commit is 'off'" in log
        assert "Traceback" not in log
        allowed = ServerProcess(data_dir, "postgres", ["--allow-unsafe-durability"], database=dsn)
        allowed.start()
        allowed.stop()
        assert allowed.proc is not None and allowed.proc.returncode == 0
    finally:
        drop_pg_database(dsn)


def _alter_database(dsn: str, setting: str) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(f'ALTER DATABASE "{dsn.rsplit("/", 1)[1]}" {setting}')
        finally:
            await conn.close()

    asyncio.run(run())


# -- --workers N on one machine -------------------------------------------------------------------


def refuses_workers_on_sqlite(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chancery", "serve", "--workers", "2", "--data-dir", str(tmp_path / "data")],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_workers_are_refused_on_sqlite(tmp_path: Path) -> None:
    result = refuses_workers_on_sqlite(tmp_path)
    assert result.returncode != 0
    assert "needs PostgreSQL" in result.stderr


def _worker_pids(supervisor: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == supervisor and b"spawn_main" in cmdline:
            found.add(int(entry.name))
    return found


def _established_connections(pid: int, port: int, state: str = "01") -> int:
    """How many TCP sockets on local `port` in `state` (01 established, 0A listening) the process `pid` holds."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].rsplit(":", 1)[1], 16)
        if local_port == port and fields[3] == state and fields[9] in inodes:
            count += 1
    return count


def _wait_for(condition: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def fresh_dsn() -> Iterator[str]:
    dsn = create_pg_database()
    yield dsn
    drop_pg_database(dsn)


@needs_postgres
async def test_workers_share_the_port_restart_after_a_crash_and_stop_on_sigterm(tmp_path: Path, fresh_dsn: str) -> None:
    dsn = fresh_dsn
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    server = ServerProcess(data_dir, "postgres", ["--workers", "2", "--open-registration"], database=dsn)
    try:
        server.start()
        assert server.proc is not None
        supervisor = server.proc.pid
        workers = _wait_for(lambda: _worker_pids(supervisor) if len(_worker_pids(supervisor)) == 2 else None, 20, "2")
        # /health answered once one worker listens; the kernel spreads connections over bound sockets only.
        _wait_for(lambda: all(_established_connections(pid, server.port, "0A") for pid in workers), 30, "listening")
        api = Api(server.base_url)
        alice = await api.register()
        since = (await api.sync(alice))["next_batch"]
        await api.close()

        # Many separate connections, each a waiting /sync: the kernel spreads them over both workers.
        async def long_poll() -> int:
            async with (
                aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as session,
                session.get(
                    server.base_url + C + "/sync",
                    params={"timeout": "3000", "since": since},
                    headers={"Authorization": f"Bearer {alice.token}"},
                ) as response,
            ):
                return response.status

        polls = [asyncio.create_task(long_poll()) for _ in range(16)]
        await asyncio.sleep(1.0)
        per_worker = {pid: _established_connections(pid, server.port) for pid in workers}
        assert set(await asyncio.gather(*polls)) == {200}
        assert all(count > 0 for count in per_worker.values()), per_worker

        crashed = next(iter(workers))
        os.kill(crashed, signal.SIGKILL)
        replaced = _wait_for(
            lambda: pids if len(pids := _worker_pids(supervisor)) == 2 and crashed not in pids else None,
            30,
            "the supervisor to replace the killed worker",
        )
        server.wait_ready()
        api = Api(server.base_url)
        assert (await api.login(alice)).user_id == alice.user_id
        await api.close()

        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=40) == 0
        assert _worker_pids(supervisor) == set()
        assert not any(Path(f"/proc/{pid}").exists() for pid in replaced)
    finally:
        server.stop()


async def _one_wake_up_across(api_a: Api, api_b: Api) -> float:
    """Seconds between a send on A and the return of a /sync long-poll waiting on B."""
    alice = await api_a.register()
    bob = await api_b.login(await api_a.register())
    room = await api_a.create_room(alice, preset="public_chat")
    await api_b.join(bob, room)
    since = (await api_b.sync(bob))["next_batch"]
    poll = asyncio.create_task(api_b.sync(bob, since, timeout=20_000))
    await asyncio.sleep(0.4)
    sent_at = time.monotonic()
    event_id = await api_a.send(alice, room, "after the reconnect")
    assert event_id in timeline_ids(await poll, room)
    return time.monotonic() - sent_at


@needs_postgres
async def test_wake_ups_survive_the_loss_of_the_listening_connection(pair: Pair, apis: tuple[Api, Api]) -> None:
    conn = await asyncpg.connect(pair.dsn)
    try:
        killed = await conn.fetchval(
            "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name = 'chancery-listener'"
        )
    finally:
        await conn.close()
    assert killed == 2  # one LISTEN connection per process
    await asyncio.sleep(1.0)
    assert await _one_wake_up_across(*apis) < 1.5


@needs_postgres
async def test_large_notifications_are_split_below_the_postgresql_payload_limit(pair: Pair) -> None:
    batch = [(10 + n, [f"room:!{'x' * 60}{n}:{'y' * 40}|event" for n in range(300)], 10 + n) for n in range(3)]
    batch.append((99, ["user:@" + "z" * 9000], 99))  # cannot fit alone: becomes "wake everyone"
    payloads = list(encode_payloads("origin", batch))
    assert len(payloads) > 3
    delivered: list[tuple[int, str]] = []
    wake_all: list[int] = []
    for payload in payloads:
        assert len(payload.encode()) < 8000
        message = json.loads(payload)
        if "all" in message:
            wake_all.append(message["all"])
        for pos, keys, *_ in message.get("n", []):
            delivered += [(pos, key) for key in keys]
    assert delivered == [(pos, key) for pos, keys, _ in batch[:3] for key in keys]
    assert wake_all == [99]
    conn = await asyncpg.connect(pair.dsn)
    try:
        for payload in payloads:  # PostgreSQL accepts every one of them
            await conn.execute("SELECT pg_notify('chancery-test', $1)", payload)
    finally:
        await conn.close()
