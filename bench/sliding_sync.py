"""Simplified sliding sync (MSC4186) as Element X uses it: the first room list of an account in many rooms, and
how fast a new message reaches a long-polling connection.

- initial list: a newly signed-in device opens a `room-list` connection (list `all_rooms`, ranges 0..19,
  timeline_limit 1, Element X's required_state, extensions account_data/receipts/typing) for a user in
  500 rooms; median of a few runs, each from a fresh device.
- incremental: the connection long-polls; another member sends a message into one of the rooms; the time from
  the start of the send request to the response carrying it, over several rounds (p50/p99).

Run it alone against a server on this machine:
    .venv/bin/python bench/sliding_sync.py --url http://127.0.0.1:8008 [--rooms 500] [--rounds 20]
compare.py runs it against Chancery and Synapse side by side (`--scenarios sliding-sync`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadgen import BenchError, C, Client, User, bounded, percentile, register_many
from procmem import RssSampler, mib

SLIDING_SYNC = "/_matrix/client/unstable/org.matrix.simplified_msc3575/sync"
ROOM_LIST_STATE = [
    ["m.room.encryption", ""],
    ["m.room.member", "$LAZY"],
    ["m.room.member", "$ME"],
    ["m.room.name", ""],
    ["m.room.topic", ""],
    ["m.room.avatar", ""],
    ["m.room.canonical_alias", ""],
    ["m.room.power_levels", ""],
    ["m.room.create", ""],
    ["m.room.join_rules", ""],
    ["m.room.history_visibility", ""],
]


def room_list_request() -> dict[str, Any]:
    """Element X's `room-list` connection, first window."""
    return {
        "conn_id": "room-list",
        "lists": {"all_rooms": {"ranges": [[0, 19]], "timeline_limit": 1, "required_state": ROOM_LIST_STATE}},
        "extensions": {"account_data": {"enabled": True}, "receipts": {"enabled": True}, "typing": {"enabled": True}},
    }


@dataclass
class SlidingSyncParams:
    rooms: int = 500
    runs: int = 3
    rounds: int = 20
    create_concurrency: int = 4
    poll_timeout_ms: int = 30_000


async def sliding_sync(client: Client, user: User, pos: str | None, timeout_ms: int) -> Any:
    params = {"timeout": str(timeout_ms)}
    if pos is not None:
        params["pos"] = pos
    status, reply = await client.request(
        "POST", SLIDING_SYNC, user.token, room_list_request(), params, timeout=timeout_ms / 1000 + 60
    )
    if status != 200:
        raise BenchError(f"sliding sync answered {status}: {str(reply)[:200]}")
    return reply


async def run_sliding_sync(base_url: str, params: SlidingSyncParams, pids: list[int] | None = None) -> dict[str, Any]:
    sampler = RssSampler(pids or []).start()
    client = Client.open(base_url)
    try:
        owner, sender = await register_many(client, 2, 2)
        rooms = await bounded(
            params.create_concurrency,
            (
                lambda i=i: client.create_room(owner, preset="public_chat", name=f"room {i}")  # type: ignore[misc]
                for i in range(params.rooms)
            ),
        )
        for room_id in rooms[: params.rounds]:
            await client.join(sender, room_id)
        timings = []
        for _ in range(params.runs):
            device = await client.login(owner)  # a fresh device: nothing cached for it on the server
            start = time.perf_counter()
            body = await sliding_sync(client, device, None, 0)
            timings.append(time.perf_counter() - start)
            listed = len(body.get("rooms", {}))
            if listed != min(20, params.rooms) or body["lists"]["all_rooms"]["count"] != params.rooms:
                raise BenchError(f"the first window listed {listed} rooms of {body['lists']['all_rooms']['count']}")
        latencies = await _incremental(client, device, sender, rooms[: params.rounds], body["pos"], params)
        return {
            "rooms": params.rooms,
            "initial_list_ms": round(statistics.median(timings) * 1000, 1),
            "initial_list_first_ms": round(timings[0] * 1000, 1),
            "incremental_p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
            "incremental_p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
            "errors": sum(client.errors.values()),
            "error_kinds": dict(client.errors),
            "peak_rss_mib": mib(sampler.stop()),
        }
    finally:
        sampler.stop()
        await client.close()


async def _incremental(
    client: Client, device: User, sender: User, rooms: list[str], pos: str, params: SlidingSyncParams
) -> list[float]:
    """Seconds from the start of each send to the long-poll response that carries the message, sorted."""
    latencies = []
    for n, room_id in enumerate(rooms):
        # Drain whatever the previous round left (receipts, the sender's join) before timing this one.
        pos = (await sliding_sync(client, device, pos, 0))["pos"]
        waiting = asyncio.create_task(sliding_sync(client, device, pos, params.poll_timeout_ms))
        await asyncio.sleep(0.05)
        start = time.perf_counter()
        path = f"{C}/rooms/{quote(room_id, safe='')}/send/m.room.message/bench{n}"
        await client.setup_call("send", "PUT", path, sender.token, {"msgtype": "m.text", "body": f"round {n}"})
        body = await waiting
        for _ in range(10):  # woken by something else first: keep polling (bounded)
            if room_id in body.get("rooms", {}):
                break
            body = await sliding_sync(client, device, body["pos"], params.poll_timeout_ms)
        else:
            raise BenchError(f"round {n}: the message never arrived")
        latencies.append(time.perf_counter() - start)
        pos = body["pos"]
    return sorted(latencies)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="homeserver base URL, e.g. http://127.0.0.1:8008")
    defaults = SlidingSyncParams()
    parser.add_argument("--rooms", type=int, default=defaults.rooms)
    parser.add_argument("--runs", type=int, default=defaults.runs)
    parser.add_argument("--rounds", type=int, default=defaults.rounds)
    args = parser.parse_args(argv)
    if not args.url.startswith(("http://127.0.0.1", "http://localhost", "http://[::1]")):
        parser.error("benchmarks only run against servers on this machine (127.0.0.1)")
    params = SlidingSyncParams(rooms=args.rooms, runs=args.runs, rounds=min(args.rounds, args.rooms))
    print(json.dumps(asyncio.run(run_sliding_sync(args.url, params)), indent=2))


if __name__ == "__main__":
    main()
