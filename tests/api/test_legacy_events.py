"""The legacy endpoints clients and test suites still call: GET /events (the old event stream, also for
peeking into world-readable rooms), GET /initialSync, GET /rooms/{roomId}/initialSync, GET /events/{eventId}."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.client import Api, C, User, q


async def _public_room(api: Api, owner: User, *, world_readable: bool, name: str = "Lobby") -> str:
    room = await api.create_room(owner, preset="public_chat", visibility="public", name=name)
    if world_readable:
        await api.ok(
            "PUT",
            f"{C}/rooms/{q(room)}/state/m.room.history_visibility/",
            owner,
            json={"history_visibility": "world_readable"},
        )
    return room


async def _events(api: Api, user: User, **params: str) -> Any:
    reply = await api.request("GET", C + "/events", user, params=params)
    assert reply.status == 200, reply
    assert isinstance(reply.body, dict)
    return reply.body


async def test_event_stream_returns_new_events_of_joined_rooms_and_long_polls(api: Api) -> None:
    alice = await api.register()
    room = await api.create_room(alice)
    first = await _events(api, alice, timeout="0")
    assert set(first) == {"start", "end", "chunk"}
    assert isinstance(first["chunk"], list)

    waiting = asyncio.create_task(_events(api, alice, timeout="10000", **{"from": str(first["end"])}))
    await asyncio.sleep(0.3)
    assert not waiting.done(), "the stream must wait for something new"
    event_id = await api.send(alice, room, "hello stream")
    body = await asyncio.wait_for(waiting, 10)
    chunk = body["chunk"]
    assert isinstance(chunk, list)
    assert [e["event_id"] for e in chunk if e["type"] == "m.room.message"] == [event_id]
    message = next(e for e in chunk if e["type"] == "m.room.message")
    assert message["room_id"] == room and message["content"]["body"] == "hello stream"
    assert body["start"] == first["end"] and body["end"] != first["end"]

    again = await _events(api, alice, timeout="0", **{"from": str(body["end"])})
    assert again["chunk"] == []


async def test_event_stream_shows_invites_presence_typing_and_tags(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    room = await api.create_room(alice)
    start = (await _events(api, bob, timeout="0"))["end"]
    await api.ok("POST", f"{C}/rooms/{q(room)}/invite", alice, json={"user_id": bob.user_id})
    chunk = (await _events(api, bob, timeout="5000", **{"from": str(start)}))["chunk"]
    assert isinstance(chunk, list)
    invites = [e for e in chunk if e["type"] == "m.room.member" and e["state_key"] == bob.user_id]
    assert invites and invites[0]["content"]["membership"] == "invite" and invites[0]["room_id"] == room
    assert not [e for e in chunk if e["type"] == "m.room.create"], "the room's history stays hidden from invitees"

    await api.join(bob, room)
    start = (await _events(api, alice, timeout="0"))["end"]
    await api.ok("PUT", f"{C}/rooms/{q(room)}/typing/{q(bob.user_id)}", bob, json={"typing": True, "timeout": 5000})
    await api.ok("PUT", f"{C}/presence/{q(bob.user_id)}/status", bob, json={"presence": "online"})
    await api.ok("PUT", f"{C}/user/{q(alice.user_id)}/rooms/{q(room)}/tags/u.work", alice, json={"order": 0.5})
    seen: list[dict[str, Any]] = []
    token = start
    for _ in range(10):
        body = await _events(api, alice, timeout="2000", **{"from": str(token)})
        seen += body["chunk"]
        token = body["end"]
        kinds = {str(e["type"]) for e in seen}
        if {"m.typing", "m.presence", "m.tag"} <= kinds:
            break
    typing = next(e for e in seen if e["type"] == "m.typing")
    assert typing["room_id"] == room and typing["content"] == {"user_ids": [bob.user_id]}
    presence = next(e for e in seen if e["type"] == "m.presence")
    assert presence["content"]["user_id"] == bob.user_id
    tag = next(e for e in seen if e["type"] == "m.tag")
    assert tag["room_id"] == room and tag["content"] == {"tags": {"u.work": {"order": 0.5}}}


async def test_event_stream_pages_through_a_long_window_without_losing_events(api: Api) -> None:
    alice = await api.register()
    room = await api.create_room(alice)
    start = (await _events(api, alice, timeout="0"))["end"]
    sent = [await api.send(alice, room, f"m{i}") for i in range(7)]
    received: list[str] = []
    token = start
    for _ in range(10):
        body = await _events(api, alice, timeout="0", limit="3", **{"from": str(token)})
        chunk = body["chunk"]
        assert isinstance(chunk, list) and len(chunk) <= 3
        received += [e["event_id"] for e in chunk if e["type"] == "m.room.message"]
        token = body["end"]
        if not chunk:
            break
    assert received == sent


async def test_bad_event_stream_parameters_are_rejected(api: Api) -> None:
    alice = await api.register()
    for params in ({"from": "nonsense"}, {"timeout": "soon"}, {"limit": "-1"}, {"room_id": "not-a-room"}):
        reply = await api.request("GET", C + "/events", alice, params=params)
        assert reply.status == 400, (params, reply)
    reply = await api.request("GET", C + "/events", None, params={"timeout": "0"})
    assert reply.status == 401


async def test_peeking_into_a_world_readable_room_with_room_id(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    room = await _public_room(api, alice, world_readable=True)
    preview = await api.ok("GET", f"{C}/rooms/{q(room)}/initialSync", bob)
    assert preview["room_id"] == room and "membership" not in preview
    state_types = {e["type"] for e in preview["state"]}
    assert {"m.room.create", "m.room.name", "m.room.history_visibility"} <= state_types
    assert preview["messages"]["chunk"], "the preview shows the room's recent events"
    assert preview["visibility"] == "public"

    waiting = asyncio.create_task(
        _events(api, bob, room_id=room, timeout="10000", **{"from": preview["messages"]["end"]})
    )
    await asyncio.sleep(0.3)
    event_id = await api.send(alice, room, "seen by a lurker")
    body = await asyncio.wait_for(waiting, 10)
    chunk = body["chunk"]
    assert isinstance(chunk, list)
    assert [e["event_id"] for e in chunk] == [event_id]
    assert body["end"] != preview["messages"]["end"]


async def test_peeking_into_other_rooms_is_refused_with_403(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    shared = await _public_room(api, alice, world_readable=False)
    private = await api.create_room(alice)
    for room in (shared, private, "!nonexistent:localhost"):
        reply = await api.request("GET", f"{C}/rooms/{q(room)}/initialSync", bob)
        assert (reply.status, reply.errcode) == (403, "M_FORBIDDEN"), (room, reply)
        reply = await api.request("GET", C + "/events", bob, params={"room_id": room, "timeout": "0"})
        assert (reply.status, reply.errcode) == (403, "M_FORBIDDEN"), (room, reply)


async def test_event_stream_of_a_peeked_room_hides_what_was_not_world_readable(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    room = await _public_room(api, alice, world_readable=True)
    start = (await api.ok("GET", f"{C}/rooms/{q(room)}/initialSync", bob))["messages"]["end"]
    await api.ok(
        "PUT", f"{C}/rooms/{q(room)}/state/m.room.history_visibility/", alice, json={"history_visibility": "shared"}
    )
    await api.send(alice, room, "members only")
    reply = await api.request("GET", C + "/events", bob, params={"room_id": room, "timeout": "0", "from": start})
    # The room stopped being world-readable: the peek ends.
    assert (reply.status, reply.errcode) == (403, "M_FORBIDDEN")


async def test_room_initial_sync_of_members_and_former_members(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    room = await api.create_room(alice, preset="public_chat", name="Old name")
    await api.join(bob, room)
    before = await api.send(alice, room, "before bob left")
    await api.ok("POST", f"{C}/rooms/{q(room)}/leave", bob, json={})
    await api.send(alice, room, "after bob left")
    await api.ok("PUT", f"{C}/rooms/{q(room)}/state/m.room.name/", alice, json={"name": "New name"})

    mine = await api.ok("GET", f"{C}/rooms/{q(room)}/initialSync", alice, params={"limit": "2"})
    assert mine["membership"] == "join"
    assert len(mine["messages"]["chunk"]) == 2
    assert mine["messages"]["chunk"][-1]["type"] == "m.room.name"
    name = next(e for e in mine["state"] if e["type"] == "m.room.name")
    assert name["content"]["name"] == "New name"
    older = await api.ok(
        "GET", f"{C}/rooms/{q(room)}/messages", alice, params={"from": mine["messages"]["start"], "dir": "b"}
    )
    assert [e["content"].get("membership") or e["content"].get("body") for e in older["chunk"][:2]] == [
        "leave",
        "before bob left",
    ]

    theirs = await api.ok("GET", f"{C}/rooms/{q(room)}/initialSync", bob)
    assert theirs["membership"] == "leave"
    bodies = [e["content"].get("body") for e in theirs["messages"]["chunk"]]
    assert "before bob left" in bodies and "after bob left" not in bodies
    assert next(e for e in theirs["state"] if e["type"] == "m.room.name")["content"]["name"] == "Old name"
    assert before in [e["event_id"] for e in theirs["messages"]["chunk"]]


async def test_global_initial_sync_lists_rooms_invites_and_archived_rooms(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    joined = await api.create_room(bob, name="Joined")
    invited = await api.create_room(alice)
    await api.ok("POST", f"{C}/rooms/{q(invited)}/invite", alice, json={"user_id": bob.user_id})
    left = await api.create_room(bob)
    await api.send(bob, left, "last words")
    await api.ok("POST", f"{C}/rooms/{q(left)}/leave", bob, json={})
    await api.ok("PUT", f"{C}/user/{q(bob.user_id)}/account_data/org.example.x", bob, json={"a": 1})

    read = await api.send(bob, joined, "read this")
    await api.ok("POST", f"{C}/rooms/{q(joined)}/receipt/m.read/{q(read)}", bob, json={})
    body = await api.ok("GET", C + "/initialSync", bob, params={"limit": "5"})
    assert set(body) >= {"end", "rooms", "presence", "account_data", "receipts"}
    receipt = next(r for r in body["receipts"] if r["room_id"] == joined)
    assert receipt["type"] == "m.receipt" and bob.user_id in receipt["content"][read]["m.read"]
    rooms = {r["room_id"]: r for r in body["rooms"]}
    assert rooms[joined]["membership"] == "join"
    assert any(e["type"] == "m.room.name" for e in rooms[joined]["state"])
    members = [e for e in rooms[joined]["state"] if e["type"] == "m.room.member"]
    assert members[0]["user_id"] == bob.user_id, "events carry the legacy user_id"
    assert len(rooms[joined]["messages"]["chunk"]) <= 5
    assert rooms[invited]["membership"] == "invite"
    assert rooms[invited]["invite"]["state_key"] == bob.user_id
    assert left not in rooms
    assert {"type": "org.example.x", "content": {"a": 1}} in body["account_data"]

    archived = await api.ok("GET", C + "/initialSync", bob, params={"archived": "true"})
    rooms = {r["room_id"]: r for r in archived["rooms"]}
    assert rooms[left]["membership"] == "leave"
    assert "last words" in [e["content"].get("body") for e in rooms[left]["messages"]["chunk"]]

    # The end token continues with the event stream.
    event_id = await api.send(bob, joined, "next")
    chunk = (await _events(api, bob, timeout="5000", **{"from": body["end"]}))["chunk"]
    assert event_id in [e.get("event_id") for e in chunk]


async def test_get_event_by_id_only_when_visible(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    room = await api.create_room(alice)
    event_id = await api.send(alice, room, "secret")
    body = await api.ok("GET", f"{C}/events/{q(event_id)}", alice)
    assert body["event_id"] == event_id and body["room_id"] == room and body["content"]["body"] == "secret"
    for eid in (event_id, "$doesnotexist"):
        reply = await api.request("GET", f"{C}/events/{q(eid)}", bob)
        assert (reply.status, reply.errcode) == (404, "M_NOT_FOUND")


async def test_peek_stream_carries_the_rooms_typing_receipts_and_members_presence(api: Api) -> None:
    alice, lurker, stranger = await api.register(), await api.register(), await api.register()
    room = await _public_room(api, alice, world_readable=True)
    event_id = await api.send(alice, room, "hello")
    token = (await api.ok("GET", f"{C}/rooms/{q(room)}/initialSync", lurker))["messages"]["end"]
    await api.ok("PUT", f"{C}/rooms/{q(room)}/typing/{q(alice.user_id)}", alice, json={"typing": True, "timeout": 5000})
    await api.ok("POST", f"{C}/rooms/{q(room)}/receipt/m.read/{q(event_id)}", alice, json={})
    await api.ok("PUT", f"{C}/presence/{q(alice.user_id)}/status", alice, json={"presence": "online"})
    await api.ok("PUT", f"{C}/presence/{q(stranger.user_id)}/status", stranger, json={"presence": "online"})
    seen: list[dict[str, Any]] = []
    for _ in range(10):
        body = await _events(api, lurker, room_id=room, timeout="2000", **{"from": token})
        seen += body["chunk"]
        token = body["end"]
        if {"m.typing", "m.receipt", "m.presence"} <= {e["type"] for e in seen}:
            break
    typing = next(e for e in seen if e["type"] == "m.typing")
    assert typing["room_id"] == room and typing["content"]["user_ids"] == [alice.user_id]
    receipt = next(e for e in seen if e["type"] == "m.receipt")
    assert alice.user_id in receipt["content"][event_id]["m.read"]
    presence_of = {e["content"]["user_id"] for e in seen if e["type"] == "m.presence"}
    assert alice.user_id in presence_of and stranger.user_id not in presence_of


async def test_backwards_stream_of_a_peeked_room_shows_only_what_was_world_readable(api: Api) -> None:
    alice, lurker = await api.register(), await api.register()
    room = await _public_room(api, alice, world_readable=False)
    await api.send(alice, room, "private")
    await api.ok(
        "PUT",
        f"{C}/rooms/{q(room)}/state/m.room.history_visibility/",
        alice,
        json={"history_visibility": "world_readable"},
    )
    public = await api.send(alice, room, "public")
    body = await _events(api, lurker, room_id=room, dir="b", limit="3")
    chunk = body["chunk"]
    assert [e["type"] for e in chunk] == ["m.room.message", "m.room.history_visibility"]
    assert chunk[0]["event_id"] == public and chunk[0]["user_id"] == alice.user_id
    assert "private" not in [e["content"].get("body") for e in chunk]


async def test_event_stream_reads_past_a_full_window_of_hidden_events(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    room = await api.create_room(alice)
    await api.ok(
        "PUT", f"{C}/rooms/{q(room)}/state/m.room.history_visibility/", alice, json={"history_visibility": "joined"}
    )
    start = (await _events(api, bob, timeout="0"))["end"]
    for i in range(15):
        await api.send(alice, room, f"before bob {i}")
    await api.ok("POST", f"{C}/rooms/{q(room)}/invite", alice, json={"user_id": bob.user_id})
    body = await _events(api, bob, timeout="3000", limit="5", **{"from": start})
    assert [(e["type"], e["content"].get("membership")) for e in body["chunk"]] == [("m.room.member", "invite")]


async def test_event_stream_tokens_from_the_future_read_from_now(api: Api) -> None:
    alice = await api.register()
    await api.create_room(alice)
    for direction in ("f", "b"):
        body = await _events(api, alice, timeout="0", dir=direction, **{"from": "s999999999999999"})
        assert body["start"] != "s999999999999999" and isinstance(body["chunk"], list)
