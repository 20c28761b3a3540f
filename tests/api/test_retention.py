"""Retention (issue 14): expired messages are purged from every read endpoint, the database and the disk;
room policies within the server's per-level policy; legal holds; a purge killed by kill -9 resumes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.api.test_device_control import ADMIN, audited, make_admin
from tests.api.test_media import upload
from tests.api.test_search import search
from tests.client import Api, C, User, q
from tests.conftest import ENGINES
from tests.own_server import RELAXED, client_of, own_server
from tests.serverproc import ServerProcess
from tests.sql import sql

V1 = "/_matrix/client/v1"
DAY_MS = 24 * 3600 * 1000
POLICY = """\
[retention]
batch_size = 3
[retention.unclassified]
default_days = 30
[retention.levels.SECRET]
default_days = 7
max_days = 10
"""


@pytest.fixture(scope="module", params=ENGINES)
def retaining(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    yield from own_server(request, tmp_path_factory, "retention", POLICY, *RELAXED)


@pytest.fixture
async def rapi(retaining: ServerProcess) -> AsyncIterator[Api]:
    async for client in client_of(retaining):
        yield client


async def age(server: ServerProcess, event_ids: list[str], days: float) -> None:
    """Make events look `days` old (the server stamps events with its own clock)."""
    then = int(time.time() * 1000 - days * DAY_MS)
    for event_id in event_ids:
        await sql(server, "UPDATE events SET origin_server_ts = ? WHERE event_id = ?", then, event_id)


async def purge(api: Api, admin: User) -> dict[str, object]:
    return dict(await api.ok("POST", f"{ADMIN}/retention/purge", admin, json={}))


async def stored(server: ServerProcess, event_ids: list[str]) -> set[str]:
    rows = [await sql(server, "SELECT event_id FROM events WHERE event_id = ?", e) for e in event_ids]
    return {str(r[0][0]) for r in rows if r}


def media_files(server: ServerProcess, data: bytes) -> list[Path]:
    return [p for p in (server.data_dir / "media").rglob("*") if p.is_file() and p.read_bytes() == data]


async def test_expired_messages_are_gone_everywhere(rapi: Api, retaining: ServerProcess) -> None:
    admin = await make_admin(rapi, retaining)
    alice, bob = await rapi.register(), await rapi.register()
    room = await rapi.create_room(alice, preset="public_chat")
    await rapi.join(bob, room)
    picture = b"old picture " + str(time.time()).encode()
    mxc = await upload(rapi, alice, picture, "application/octet-stream")
    old_file = await rapi.send(
        alice, room, event_type="m.room.message", content={"msgtype": "m.file", "body": "f.bin", "url": mxc}
    )
    old_text = await rapi.send(alice, room, "the needle in old history")
    reaction = await rapi.send(
        bob,
        room,
        event_type="m.reaction",
        content={"m.relates_to": {"rel_type": "m.annotation", "event_id": old_text, "key": "👍"}},
    )
    await rapi.ok("POST", f"{C}/rooms/{q(room)}/receipt/m.read/{q(old_text)}", bob, json={})
    young = await rapi.send(alice, room, "young enough to stay")
    await age(retaining, [old_file, old_text], 31)  # the reaction itself is recent: it goes with its target
    assert media_files(retaining, picture)

    report = await purge(rapi, admin)
    assert report["events"] == 3 and report["media"] == 1 and report["files"] == 1
    assert await stored(retaining, [old_file, old_text, reaction, young]) == {young}

    # Gone from every read endpoint ...
    for event_id in (old_file, old_text, reaction):
        assert (await rapi.request("GET", f"{C}/rooms/{q(room)}/event/{q(event_id)}", bob)).status == 404
        assert (await rapi.request("GET", f"{C}/rooms/{q(room)}/context/{q(event_id)}", bob)).status == 404
    relations = await rapi.request("GET", f"{V1}/rooms/{q(room)}/relations/{q(old_text)}", bob)
    assert relations.status == 404 or relations.body["chunk"] == []
    history = await rapi.ok("GET", f"{C}/rooms/{q(room)}/messages", bob, params={"dir": "b", "limit": "100"})
    ids = [e["event_id"] for e in history["chunk"]]
    assert young in ids and not {old_file, old_text, reaction} & set(ids)
    timeline = (await rapi.sync(bob))["rooms"]["join"][room]["timeline"]["events"]
    assert not {old_file, old_text, reaction} & {e["event_id"] for e in timeline}
    assert (await search(rapi, bob, {"search_term": "needle"}))["results"] == []
    media = await rapi.request("GET", f"{V1}/media/download/{mxc.removeprefix('mxc://')}", bob)
    assert media.status == 404
    # ... from the database (receipts, index and media rows included) and from the disk.
    assert await sql(retaining, "SELECT 1 FROM receipts WHERE event_id = ?", old_text) == []
    assert await sql(retaining, "SELECT 1 FROM media WHERE media_id = ?", mxc.rsplit("/", 1)[1]) == []
    assert media_files(retaining, picture) == []
    # A second run has nothing left to do.
    assert (await purge(rapi, admin))["events"] == 0
    assert await audited(retaining, "retention.purge", room) == [(admin.user_id, "allowed", None)]


async def test_room_policy_within_the_server_policy(rapi: Api, retaining: ServerProcess) -> None:
    admin = await make_admin(rapi, retaining)
    alice = await rapi.register()
    short = await rapi.create_room(alice)
    await rapi.ok("PUT", f"{C}/rooms/{q(short)}/state/m.room.retention/", alice, json={"max_lifetime": 2 * DAY_MS})
    three_days, one_and_half = await rapi.send(alice, short, "3d"), await rapi.send(alice, short, "1.5d")
    tiny = await rapi.create_room(alice)
    # Below the floor of one day: a day it is.
    await rapi.ok("PUT", f"{C}/rooms/{q(tiny)}/state/m.room.retention/", alice, json={"max_lifetime": 1000})
    half_day = await rapi.send(alice, tiny, "12h")
    secret = await rapi.create_room(alice)
    await rapi.ok(
        "PUT",
        f"{C}/rooms/{q(secret)}/state/org.chancery.classification/",
        alice,
        json={"level": "SECRET", "caveats": [], "handling": ""},
    )
    # The room asks for 60 days; the SECRET level allows 10 at most.
    await rapi.ok("PUT", f"{C}/rooms/{q(secret)}/state/m.room.retention/", alice, json={"max_lifetime": 60 * DAY_MS})
    secret_11 = await rapi.send(alice, secret, "11d")
    plain = await rapi.create_room(alice)
    await rapi.ok("PUT", f"{C}/rooms/{q(plain)}/state/m.room.retention/", alice, json={"max_lifetime": 60 * DAY_MS})
    plain_11 = await rapi.send(alice, plain, "11d")
    for room in (short, tiny, secret, plain):
        await rapi.send(alice, room, "now")  # each room's latest event is kept in any case
    await age(retaining, [three_days], 3)
    await age(retaining, [one_and_half], 1.5)
    await age(retaining, [half_day], 0.5)
    await age(retaining, [secret_11, plain_11], 11)
    await purge(rapi, admin)
    kept = await stored(retaining, [three_days, one_and_half, half_day, secret_11, plain_11])
    assert kept == {one_and_half, half_day, plain_11}


async def test_legal_holds(rapi: Api, retaining: ServerProcess) -> None:
    admin = await make_admin(rapi, retaining)
    alice, bob = await rapi.register(), await rapi.register()
    held_room = await rapi.create_room(alice, preset="public_chat")
    in_held_room = await rapi.send(alice, held_room, "evidence")
    await rapi.send(alice, held_room, "now")
    other_room = await rapi.create_room(alice, preset="public_chat")
    await rapi.join(bob, other_room)
    by_bob, by_alice = await rapi.send(bob, other_room, "bob's"), await rapi.send(alice, other_room, "alice's")
    await rapi.send(alice, other_room, "now")
    await age(retaining, [in_held_room, by_bob, by_alice], 40)

    room_hold = f"{ADMIN}/legal_holds/rooms/{q(held_room)}"
    user_hold = f"{ADMIN}/legal_holds/users/{q(bob.user_id)}"
    assert (await rapi.request("PUT", room_hold, alice, json={})).status == 403
    assert (await rapi.ok("PUT", room_hold, admin, json={"reason": "case 17"}))["placed"] is True
    assert (await rapi.ok("PUT", room_hold, admin, json={}))["placed"] is False
    assert (await rapi.ok("PUT", user_hold, admin, json={}))["placed"] is True
    missing = await rapi.request("PUT", f"{ADMIN}/legal_holds/rooms/{q('!nope:localhost')}", admin, json={})
    assert missing.status == 404 and missing.errcode == "M_NOT_FOUND"
    holds = (await rapi.ok("GET", f"{ADMIN}/legal_holds", admin))["holds"]
    assert {"kind": "room", "target": held_room, "placed_by": admin.user_id, "reason": "case 17"}.items() <= next(
        h for h in holds if h["target"] == held_room
    ).items()

    await purge(rapi, admin)
    assert await stored(retaining, [in_held_room, by_bob, by_alice]) == {in_held_room, by_bob}
    await rapi.ok("DELETE", room_hold, admin)
    await rapi.ok("DELETE", user_hold, admin)
    assert (await rapi.request("DELETE", user_hold, admin)).status == 404
    assert [a[:2] for a in await audited(retaining, "legal_hold.set", held_room)] == [(admin.user_id, "allowed")]
    assert [a[:2] for a in await audited(retaining, "legal_hold.lift", bob.user_id)] == [(admin.user_id, "allowed")]
    await purge(rapi, admin)
    assert await stored(retaining, [in_held_room, by_bob]) == set()


async def test_holds_and_purge_from_the_command_line(rapi: Api, retaining: ServerProcess) -> None:
    alice = await rapi.register()
    room = await rapi.create_room(alice)
    old = await rapi.send(alice, room, "old")
    await rapi.send(alice, room, "now")
    await age(retaining, [old], 40)
    out = await asyncio.to_thread(retaining.run_cli, "retention", "hold", "--room", room, "--reason", "audit")
    assert out.strip() == f"Placed the legal hold on {room}"
    await asyncio.to_thread(retaining.run_cli, "retention", "purge")
    assert await stored(retaining, [old]) == {old}
    await asyncio.to_thread(retaining.run_cli, "retention", "hold", "--room", room, "--lift")
    out = await asyncio.to_thread(retaining.run_cli, "retention", "purge")
    assert '"events": 1' in out and await stored(retaining, [old]) == set()


async def test_administrators_set_the_policy_at_run_time(rapi: Api, retaining: ServerProcess) -> None:
    admin = await make_admin(rapi, retaining)
    alice = await rapi.register()
    policy = f"{ADMIN}/retention/policy"
    shown = await rapi.ok("GET", policy, admin)
    assert shown["unclassified"] == {"default_days": 30, "max_days": 0, "source": "config"}
    assert shown["levels"]["SECRET"] == {"default_days": 7, "max_days": 10, "source": "config"}
    assert (await rapi.request("GET", policy, alice)).status == 403
    bad = await rapi.request("PUT", policy + "/levels/SECRET", admin, json={"default_days": 9, "max_days": 3})
    assert bad.status == 400 and bad.errcode == "M_INVALID_PARAM"
    assert (await rapi.request("PUT", policy + "/unclassified", admin, json={"default_days": "x"})).status == 400

    room = await rapi.create_room(alice)
    old = await rapi.send(alice, room, "20 days old")
    await rapi.send(alice, room, "now")
    await age(retaining, [old], 20)
    await purge(rapi, admin)
    assert await stored(retaining, [old]) == {old}  # the configured 30 days
    await rapi.ok("PUT", policy + "/unclassified", admin, json={"default_days": 14})
    assert (await rapi.ok("GET", policy, admin))["unclassified"]["source"] == "administrator"
    try:
        await purge(rapi, admin)
        assert await stored(retaining, [old]) == set()
    finally:
        await rapi.ok("DELETE", policy + "/unclassified", admin)
    assert (await rapi.ok("GET", policy, admin))["unclassified"]["source"] == "config"
    assert (await rapi.request("DELETE", policy + "/unclassified", admin)).status == 404
    changes = "SELECT COUNT(*) FROM audit_log WHERE action = 'retention.policy' AND actor_user = ?"
    assert (await sql(retaining, changes, admin.user_id))[0][0] == 2  # set, then reset
