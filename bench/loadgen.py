"""A Matrix load generator that speaks only the client-server API, so it measures any homeserver the same way.

Scenarios (each an async function returning a flat dict of figures):
- send:          users register, join shared rooms and long-poll /sync while senders PUT messages; send throughput,
                 end-to-end delivery latency (send start -> seen in every other member's /sync), errors, peak RSS.
                 With pushers (send-push): every user also has an HTTP pusher to a push gateway run here, and the
                 push latency (send start -> the gateway has the notification) is measured too.
- initial-sync:  one user in 100 and 500 rooms; time of a fresh /sync (no since), median of a few runs.
- idle-memory:   many registered users and rooms, then the server's RSS once it has settled.

Run one against a server: .venv/bin/python bench/loadgen.py --url http://127.0.0.1:8008 send --users 20 ...
Every loop is bounded in count and in time; only use it against servers on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import secrets
import statistics
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from procmem import RssSampler, cpu_seconds, mib, pids_listening_on
from tests.client import HttpClient

C = "/_matrix/client/v3"
T = TypeVar("T")
# Large enough that no timeline between two syncs is cut short (a `limited` timeline would hide events).
SYNC_FILTER = json.dumps({"room": {"timeline": {"limit": 1000}}}, separators=(",", ":"))
SETUP_RETRIES = 5


class BenchError(RuntimeError):
    """A setup step failed even after retries: the scenario cannot be measured."""


@dataclass
class User:
    user_id: str
    token: str
    password: str


class Client(HttpClient):
    """The tests' raw-HTTP client, counting every failed setup request by kind."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession) -> None:
        super().__init__(base_url, session)
        self.errors: Counter[str] = Counter()

    @classmethod
    def open(cls, base_url: str) -> Client:
        return cls(base_url, aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, force_close=False)))

    async def request(
        self,
        method: str,
        path: str,
        token: str | None = None,
        body: Any = None,
        params: dict[str, str] | None = None,
        timeout: float = 120.0,
    ) -> tuple[int, Any]:
        reply = await self.call(method, path, token, json=body, params=params, timeout=timeout)
        return reply.status, reply.body

    async def setup_call(self, what: str, method: str, path: str, token: str | None = None, body: Any = None) -> Any:
        """A setup request that must succeed: retried on 429, 5xx and connection errors, then BenchError."""
        last: object = None
        for attempt in range(SETUP_RETRIES):
            try:
                status, reply = await self.request(method, path, token, body)
            except (aiohttp.ClientError, TimeoutError) as exc:
                last = exc
                self.errors[f"{what}: {type(exc).__name__}"] += 1
            else:
                if status == 200:
                    return reply
                last = (status, reply)
                self.errors[f"{what}: HTTP {status}"] += 1
                if status != 429 and status < 500:
                    break
            await asyncio.sleep(0.2 * (attempt + 1))
        raise BenchError(f"{what} failed: {last!r}")

    async def register(self, username: str, password: str) -> User:
        body: dict[str, Any] = {"username": username, "password": password, "auth": {"type": "m.login.dummy"}}
        try:
            reply = await self.setup_call("register", "POST", C + "/register", body=body)
        except BenchError:
            # Servers that insist on a UIA session first: ask for one, then complete the dummy stage in it.
            status, first = await self.request("POST", C + "/register", body={"username": username})
            if status != 401 or not isinstance(first, dict) or "session" not in first:
                raise
            body["auth"]["session"] = first["session"]
            reply = await self.setup_call("register", "POST", C + "/register", body=body)
        return User(str(reply["user_id"]), str(reply["access_token"]), password)

    async def login(self, user: User) -> User:
        """A new device and access token for the same account."""
        body = {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": user.user_id},
            "password": user.password,
        }
        reply = await self.setup_call("login", "POST", C + "/login", body=body)
        return User(user.user_id, str(reply["access_token"]), user.password)

    async def create_room(self, user: User, **body: Any) -> str:
        reply = await self.setup_call("createRoom", "POST", C + "/createRoom", user.token, body)
        return str(reply["room_id"])

    async def join(self, user: User, room_id: str) -> None:
        await self.setup_call("join", "POST", f"{C}/join/{quote(room_id, safe='')}", user.token, {})

    async def sync(self, user: User, since: str | None, timeout_ms: int, filter_json: str | None = None) -> Any:
        params = {"timeout": str(timeout_ms)}
        if since:
            params["since"] = since
        if filter_json:
            params["filter"] = filter_json
        status, reply = await self.request(
            "GET", C + "/sync", user.token, params=params, timeout=timeout_ms / 1000 + 60
        )
        if status != 200:
            raise BenchError(f"/sync answered {status}: {str(reply)[:200]}")
        return reply


async def bounded(concurrency: int, jobs: Iterable[Callable[[], Awaitable[T]]]) -> list[T]:
    """Run the jobs with at most `concurrency` in flight; results in job order."""
    semaphore = asyncio.Semaphore(concurrency)

    async def one(job: Callable[[], Awaitable[T]]) -> T:
        async with semaphore:
            return await job()

    return list(await asyncio.gather(*(one(job) for job in jobs)))


async def register_many(client: Client, count: int, concurrency: int, prefix: str | None = None) -> list[User]:
    prefix = prefix or "bench" + secrets.token_hex(3)
    password = "bench-" + secrets.token_hex(8)
    return await bounded(
        concurrency,
        (lambda i=i: client.register(f"{prefix}_{i}", password) for i in range(count)),  # type: ignore[misc]
    )


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list (0.0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), math.ceil(fraction * len(sorted_values) - 1e-9)))
    return sorted_values[rank - 1]


# ---------------------------------------------------------------------------------------------------------------
# send: throughput and end-to-end delivery latency


@dataclass
class SendParams:
    users: int = 20
    rooms: int = 4
    senders: int = 16
    messages: int = 2000
    setup_concurrency: int = 16
    sync_timeout_ms: int = 10_000
    send_phase_limit_s: float = 600.0
    delivery_timeout_s: float = 120.0
    pushers: bool = False  # every user gets an HTTP pusher to a local push gateway (PushGateway below)


@dataclass
class _Delivery:
    """What the receivers have seen: (bench id, receiver) pairs and their latencies."""

    started: dict[str, float] = field(default_factory=dict)
    seen: set[tuple[str, int]] = field(default_factory=set)
    latencies: list[float] = field(default_factory=list)
    limited_timelines: int = 0
    expected: int = 0
    all_seen: asyncio.Event = field(default_factory=asyncio.Event)

    def record(self, bench_id: str, receiver: int, now: float) -> None:
        key = (bench_id, receiver)
        start = self.started.get(bench_id)
        if start is None or key in self.seen:
            return
        self.seen.add(key)
        self.latencies.append(now - start)
        if self.expected and len(self.seen) >= self.expected:
            self.all_seen.set()


async def _sync_loop(
    client: Client, user: User, index: int, params: SendParams, delivery: _Delivery, ready: asyncio.Event
) -> None:
    """Long-poll /sync until cancelled (or the hard deadline), recording every benchmark event from others."""
    deadline = time.monotonic() + params.send_phase_limit_s + params.delivery_timeout_s + 60
    body = await client.sync(user, None, 0, SYNC_FILTER)
    since = str(body["next_batch"])
    ready.set()
    while time.monotonic() < deadline:
        try:
            body = await client.sync(user, since, params.sync_timeout_ms, SYNC_FILTER)
        except (aiohttp.ClientError, TimeoutError, BenchError) as exc:
            client.errors[f"sync: {type(exc).__name__}"] += 1
            await asyncio.sleep(0.1)
            continue
        now = time.perf_counter()
        for room in body.get("rooms", {}).get("join", {}).values():
            timeline = room.get("timeline", {})
            if timeline.get("limited") and since:
                delivery.limited_timelines += 1
            for event in timeline.get("events", []):
                content = event.get("content")
                if isinstance(content, dict) and event.get("sender") != user.user_id:
                    bench_id = content.get("bench_id")
                    if isinstance(bench_id, str):
                        delivery.record(bench_id, index, now)
        since = str(body["next_batch"])


class PushGateway:
    """A push gateway on 127.0.0.1 (push gateway API: POST /_matrix/push/v1/notify) that notes when each
    (event, push key) notification arrives. Answers every request at once with no rejected keys."""

    PATH = "/_matrix/push/v1/notify"

    def __init__(self) -> None:
        self.arrived: dict[tuple[str, str], float] = {}
        self.requests = 0
        self.expected = 0
        self.all_arrived = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.PATH}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post(self.PATH, self._notify)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _notify(self, request: web.Request) -> web.Response:
        now = time.perf_counter()
        notification = (await request.json()).get("notification", {})
        self.requests += 1
        for device in notification.get("devices", []):
            self.arrived.setdefault((str(notification.get("event_id")), str(device.get("pushkey"))), now)
        if self.expected and len(self.arrived) >= self.expected:
            self.all_arrived.set()
        return web.json_response({"rejected": []})


async def set_pushers(client: Client, users: list[User], gateway_url: str, concurrency: int) -> None:
    def body(user: User) -> dict[str, Any]:
        return {
            "kind": "http",
            "app_id": "bench.push",
            "pushkey": "bench-" + user.user_id,
            "app_display_name": "bench",
            "device_display_name": "bench",
            "lang": "en",
            "data": {"url": gateway_url, "format": "event_id_only"},
        }

    await bounded(
        concurrency,
        (
            lambda u=u: client.setup_call("pushers/set", "POST", C + "/pushers/set", u.token, body(u))  # type: ignore[misc]
            for u in users
        ),
    )


def push_figures(gateway: PushGateway, sent_at: dict[str, float], expected: int) -> dict[str, Any]:
    latencies = sorted(
        arrived - sent_at[event_id] for (event_id, _), arrived in gateway.arrived.items() if event_id in sent_at
    )
    return {
        "pushes_expected": expected,
        "pushes_seen": len(gateway.arrived),
        "push_requests": gateway.requests,
        "push_p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
        "push_p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "push_max_ms": round(latencies[-1] * 1000, 2) if latencies else 0.0,
    }


async def run_send(base_url: str, params: SendParams, pids: list[int] | None = None) -> dict[str, Any]:
    if params.senders > params.users or params.users < 2:
        raise ValueError("need at least 2 users and no more senders than users")
    sampler = RssSampler(pids or []).start()
    client = Client.open(base_url)
    tasks: list[asyncio.Task[None]] = []
    gateway = PushGateway()
    try:
        setup_start = time.perf_counter()
        users = await register_many(client, params.users, params.setup_concurrency)
        if params.pushers:
            await gateway.start()
            await set_pushers(client, users, gateway.url, params.setup_concurrency)
        owner = users[0]
        rooms = [await client.create_room(owner, preset="public_chat", name=f"bench {i}") for i in range(params.rooms)]
        await bounded(
            params.setup_concurrency,
            (lambda u=u, r=r: client.join(u, r) for u in users[1:] for r in rooms),  # type: ignore[misc]
        )
        delivery = _Delivery()
        readies = [asyncio.Event() for _ in users]
        tasks = [
            asyncio.create_task(_sync_loop(client, user, i, params, delivery, readies[i]))
            for i, user in enumerate(users)
        ]
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), timeout=120)
        setup_s = time.perf_counter() - setup_start

        run_tag = secrets.token_hex(4)
        counter = iter(range(params.messages))
        send_durations: list[float] = []
        sent_at: dict[str, float] = {}  # event ID -> when its send request started (for push latency)
        sent_ok = 0
        send_errors: Counter[str] = Counter()
        phase_deadline = time.monotonic() + params.send_phase_limit_s

        async def sender(user: User) -> None:
            nonlocal sent_ok
            for i in counter:  # shared iterator: each message index is taken by exactly one sender
                if time.monotonic() > phase_deadline:
                    return
                bench_id = f"{run_tag}-{i}"
                room = rooms[i % len(rooms)]
                path = f"{C}/rooms/{quote(room, safe='')}/send/m.room.message/{bench_id}"
                content = {"msgtype": "m.text", "body": f"benchmark message {i}", "bench_id": bench_id}
                start = time.perf_counter()
                delivery.started[bench_id] = start
                try:
                    status, reply = await client.request("PUT", path, user.token, content, timeout=60)
                except (aiohttp.ClientError, TimeoutError) as exc:
                    send_errors[f"send: {type(exc).__name__}"] += 1
                    continue
                if status == 200:
                    sent_ok += 1
                    if isinstance(reply, dict) and isinstance(reply.get("event_id"), str):
                        sent_at[reply["event_id"]] = start
                    send_durations.append(time.perf_counter() - start)
                else:
                    send_errors[f"send: HTTP {status}"] += 1

        setup_peak = sampler.restart_peak()  # registration (password hashing) is not the send phase
        server_cpu_start, client_cpu_start = cpu_seconds(pids or []), time.process_time()
        phase_start = time.perf_counter()
        await asyncio.gather(*(sender(u) for u in users[: params.senders]))
        phase_s = time.perf_counter() - phase_start
        server_cpu = cpu_seconds(pids or []) - server_cpu_start
        client_cpu = time.process_time() - client_cpu_start

        receivers = params.users - 1  # every user is in every room; the sender does not count
        delivery.expected = sent_ok * receivers
        if len(delivery.seen) < delivery.expected:
            with contextlib.suppress(TimeoutError):  # what is still missing then is reported as undelivered
                await asyncio.wait_for(delivery.all_seen.wait(), timeout=params.delivery_timeout_s)
        pushes: dict[str, Any] = {}
        if params.pushers:
            gateway.expected = delivery.expected  # every receiver has one pusher
            if len(gateway.arrived) < gateway.expected:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(gateway.all_arrived.wait(), timeout=params.delivery_timeout_s)
            pushes = push_figures(gateway, sent_at, gateway.expected)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        tasks = []

        latencies = sorted(delivery.latencies)
        durations = sorted(send_durations)
        errors = send_errors + client.errors
        return {
            "users": params.users,
            "rooms": params.rooms,
            "senders": params.senders,
            "messages": params.messages,
            "sent_ok": sent_ok,
            "send_phase_s": round(phase_s, 3),
            "send_throughput_msgs_per_s": round(sent_ok / phase_s, 1) if phase_s > 0 else 0.0,
            "send_request_p50_ms": round(percentile(durations, 0.50) * 1000, 2),
            "send_request_p99_ms": round(percentile(durations, 0.99) * 1000, 2),
            "deliveries_expected": delivery.expected,
            "deliveries_seen": len(delivery.seen),
            "delivery_p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
            "delivery_p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
            "delivery_max_ms": round(latencies[-1] * 1000, 2) if latencies else 0.0,
            "limited_timelines": delivery.limited_timelines,
            "errors": sum(errors.values()),
            "error_kinds": dict(errors),
            "setup_s": round(setup_s, 2),
            # CPU used during the send phase as a share of one core: near 1.0 for a single-process server means
            # it is CPU-bound; a busy load generator (client) would distort the figures on a small machine.
            "server_cpu_per_s": round(server_cpu / phase_s, 2) if pids and phase_s > 0 else None,
            "loadgen_cpu_per_s": round(client_cpu / phase_s, 2) if phase_s > 0 else None,
            "peak_rss_mib": mib(sampler.stop()),
            "setup_peak_rss_mib": mib(setup_peak),
            "rss_samples": sampler.samples,
            **pushes,
        }
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        sampler.stop()
        await gateway.stop()
        await client.close()


# ---------------------------------------------------------------------------------------------------------------
# initial sync in many rooms


@dataclass
class InitialSyncParams:
    room_counts: tuple[int, ...] = (100, 500)
    runs: int = 3
    create_concurrency: int = 4


async def run_initial_sync(base_url: str, params: InitialSyncParams, pids: list[int] | None = None) -> dict[str, Any]:
    sampler = RssSampler(pids or []).start()
    client = Client.open(base_url)
    result: dict[str, Any] = {}
    try:
        (user,) = await register_many(client, 1, 1)
        created = 0
        for count in sorted(params.room_counts):
            start = time.perf_counter()
            await bounded(
                params.create_concurrency,
                (
                    lambda i=i: client.create_room(user, preset="private_chat", name=f"room {i}")  # type: ignore[misc]
                    for i in range(created, count)
                ),
            )
            result[f"create_rooms_{created}_to_{count}_s"] = round(time.perf_counter() - start, 2)
            created = count
            timings: list[float] = []
            for _ in range(params.runs):
                # A fresh device each run, as a newly signed-in client: no server-side cache of an earlier
                # identical /sync (Synapse keeps finished /sync responses for 2 minutes, keyed by device).
                device = await client.login(user)
                start = time.perf_counter()
                body = await client.sync(device, None, 0)
                timings.append(time.perf_counter() - start)
                joined = len(body.get("rooms", {}).get("join", {}))
                if joined < count:
                    raise BenchError(f"initial /sync listed {joined} rooms, expected {count}")
            result[f"initial_sync_{count}_rooms_ms"] = round(statistics.median(timings) * 1000, 1)
            result[f"initial_sync_{count}_rooms_first_ms"] = round(timings[0] * 1000, 1)
        result["errors"] = sum(client.errors.values())
        result["error_kinds"] = dict(client.errors)
        result["peak_rss_mib"] = mib(sampler.stop())
        return result
    finally:
        sampler.stop()
        await client.close()


# ---------------------------------------------------------------------------------------------------------------
# idle memory with many users and rooms


@dataclass
class IdleMemoryParams:
    users: int = 10_000
    rooms: int = 1_000
    concurrency: int = 32
    settle_s: float = 10.0


async def run_idle_memory(base_url: str, params: IdleMemoryParams, pids: list[int] | None = None) -> dict[str, Any]:
    sampler = RssSampler(pids or []).start()
    client = Client.open(base_url)
    try:
        start = time.perf_counter()
        users = await register_many(client, params.users, params.concurrency)
        register_s = time.perf_counter() - start
        start = time.perf_counter()
        await bounded(
            params.concurrency,
            (
                lambda i=i: client.create_room(users[i % len(users)], preset="private_chat")  # type: ignore[misc]
                for i in range(params.rooms)
            ),
        )
        rooms_s = time.perf_counter() - start
        await client.close()  # idle means no open client connections either
        await asyncio.sleep(params.settle_s)
        settled: list[int] = []
        for _ in range(5):  # a median of a few samples, so one allocation spike does not decide the figure
            settled.append(sampler.sample())
            await asyncio.sleep(0.2)
        return {
            "users": params.users,
            "rooms": params.rooms,
            "register_s": round(register_s, 1),
            "create_rooms_s": round(rooms_s, 1),
            "idle_rss_mib": mib(int(statistics.median(settled))) if sampler.pids else 0.0,
            "peak_rss_mib": mib(sampler.stop()),
            "errors": sum(client.errors.values()),
        }
    finally:
        sampler.stop()
        await client.close()


# ---------------------------------------------------------------------------------------------------------------
# command line


def _pids(args: argparse.Namespace) -> list[int]:
    if args.pid:
        return list(args.pid)
    port = int(args.url.rsplit(":", 1)[1].split("/")[0])
    return pids_listening_on(port)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="homeserver base URL, e.g. http://127.0.0.1:8008")
    parser.add_argument("--pid", type=int, action="append", help="server PID to sample (default: found by port)")
    sub = parser.add_subparsers(dest="scenario", required=True)
    send = sub.add_parser("send")
    defaults = SendParams()
    send.add_argument("--users", type=int, default=defaults.users)
    send.add_argument("--rooms", type=int, default=defaults.rooms)
    send.add_argument("--senders", type=int, default=defaults.senders)
    send.add_argument("--messages", type=int, default=defaults.messages)
    send.add_argument("--pushers", action="store_true", help="an HTTP pusher per user; measures push latency")
    initial = sub.add_parser("initial-sync")
    initial.add_argument("--rooms", type=int, nargs="+", default=list(InitialSyncParams().room_counts))
    initial.add_argument("--runs", type=int, default=InitialSyncParams().runs)
    idle = sub.add_parser("idle-memory")
    idle.add_argument("--users", type=int, default=IdleMemoryParams().users)
    idle.add_argument("--rooms", type=int, default=IdleMemoryParams().rooms)
    idle.add_argument("--settle", type=float, default=IdleMemoryParams().settle_s)
    args = parser.parse_args(argv)
    if not args.url.startswith(("http://127.0.0.1", "http://localhost", "http://[::1]")):
        parser.error("benchmarks only run against servers on this machine (127.0.0.1)")
    pids = _pids(args)
    result: dict[str, Any]
    if args.scenario == "send":
        params = SendParams(
            users=args.users, rooms=args.rooms, senders=args.senders, messages=args.messages, pushers=args.pushers
        )
        result = asyncio.run(run_send(args.url, params, pids))
    elif args.scenario == "initial-sync":
        result = asyncio.run(run_initial_sync(args.url, InitialSyncParams(tuple(args.rooms), args.runs), pids))
    else:
        idle_params = IdleMemoryParams(users=args.users, rooms=args.rooms, settle_s=args.settle)
        result = asyncio.run(run_idle_memory(args.url, idle_params, pids))
    result["server_pids"] = pids
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
