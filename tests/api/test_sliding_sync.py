"""Simplified sliding sync (MSC4186) with the request shapes Element X sends: lists, ranges, required_state,
incremental responses, connections and `pos`, extensions, long-polling, and what a user may not see."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tests.api.test_keys_support import Device
from tests.client import Api, C, Reply, User, q

SS = "/_matrix/client/unstable/org.matrix.simplified_msc3575/sync"
ALL_ROOMS_STATE = [
    ["m.room.encryption", ""],
    ["m.room.member", "$LAZY"],
    ["m.room.member", "$ME"],
    ["m.room.name", ""],
    ["m.room.create", ""],
    ["m.room.power_levels", ""],
]


async def ss(api: Api, user: User, body: dict[str, Any], pos: str | None = None, timeout: int = 0) -> Reply:
    params = {"timeout": str(timeout)}
    if pos is not None:
        params["pos"] = pos
    return await api.request("POST", SS, user, json=body, params=params)


async def ok(api: Api, user: User, body: dict[str, Any], pos: str | None = None, timeout: int = 0) -> Any:
    reply = await ss(api, user, body, pos, timeout)
    assert reply.status == 200, reply
    return reply.body


def room_list(start: int = 0, end: int = 19, limit: int = 1, **extra: Any) -> dict[str, Any]:
    """Element X's `room-list` connection."""
    return {
        "conn_id": "room-list",
        "lists": {
            "all_rooms": {"ranges": [[start, end]], "timeline_limit": limit, "required_state": ALL_ROOMS_STATE, **extra}
        },
        "extensions": {"account_data": {"enabled": True}, "receipts": {"enabled": True}, "typing": {"enabled": True}},
    }


def bodies(entry: dict[str, Any]) -> list[str]:
    return [e["content"].get("body") for e in entry.get("timeline", []) if e["type"] == "m.room.message"]


def state_keys(entry: dict[str, Any]) -> set[tuple[str, str]]:
    return {(e["type"], e["state_key"]) for e in entry.get("required_state", [])}


async def test_versions_advertise_simplified_sliding_sync(api: Api) -> None:
    body = await api.ok("GET", "/_matrix/client/versions")
    assert body["unstable_features"]["org.matrix.simplified_msc3575"] is True


async def test_initial_list_then_growing_range_sends_only_new_rooms(api: Api) -> None:
    alice = await api.register()
    rooms = [await api.create_room(alice, name=f"room {i}") for i in range(25)]
    first = await ok(api, alice, room_list(0, 19))
    assert first["lists"]["all_rooms"]["count"] == 25
    assert set(first["rooms"]) == set(rooms[5:])  # the 20 most recent
    newest = first["rooms"][rooms[24]]
    assert newest["initial"] is True and newest["name"] == "room 24" and newest["membership"] == "join"
    assert newest["joined_count"] == 1 and newest["invited_count"] == 0
    assert newest["notification_count"] == 0 and newest["highlight_count"] == 0
    assert len(newest["timeline"]) == 1 and newest["limited"] is True and "prev_batch" in newest
    assert ("m.room.create", "") in state_keys(newest) and ("m.room.member", alice.user_id) in state_keys(newest)
    assert isinstance(newest["bump_stamp"], int)
    grown = await ok(api, alice, room_list(0, 119), first["pos"])
    assert set(grown["rooms"]) == set(rooms[:5])
    assert grown["lists"]["all_rooms"]["count"] == 25
    again = await ok(api, alice, room_list(0, 119), grown["pos"])
    assert again["rooms"] == {}


async def test_a_message_bumps_its_room_and_the_increment_carries_only_it(api: Api) -> None:
    alice = await api.register()
    bob = await api.register()
    rooms = [await api.create_room(alice, preset="public_chat") for _ in range(3)]
    for room in rooms:
        await api.join(bob, room)
    first = await ok(api, bob, room_list(0, 1))
    assert set(first["rooms"]) == set(rooms[1:])
    await api.send(alice, rooms[0], "wake up")
    second = await ok(api, bob, room_list(0, 1), first["pos"])
    entry = second["rooms"][rooms[0]]
    assert list(second["rooms"]) == [rooms[0]]
    assert entry["initial"] is True  # never sent on this connection before
    assert bodies(entry) == ["wake up"] and entry["num_live"] == 1
    assert entry["notification_count"] == 1
    await api.send(alice, rooms[0], "again")
    third = await ok(api, bob, room_list(0, 1), second["pos"])
    entry = third["rooms"][rooms[0]]
    assert list(third["rooms"]) == [rooms[0]]
    assert "initial" not in entry and bodies(entry) == ["again"] and entry["num_live"] == 1
    assert "joined_count" not in entry and "name" not in entry  # unchanged since last sent
    assert entry["limited"] is False and entry["notification_count"] == 2
    assert entry["bump_stamp"] > first["rooms"][rooms[1]]["bump_stamp"]


async def test_a_retried_pos_gets_the_same_data_and_an_older_pos_is_unknown(api: Api) -> None:
    alice = await api.register()
    room = await api.create_room(alice)
    first = await ok(api, alice, room_list())
    await api.send(alice, room, "one")
    second = await ok(api, alice, room_list(), first["pos"])
    retried = await ok(api, alice, room_list(), first["pos"])  # the client never saw `second`
    assert bodies(second["rooms"][room]) == bodies(retried["rooms"][room]) == ["one"]
    nothing = await ok(api, alice, room_list(), retried["pos"])
    assert nothing["rooms"] == {} and nothing["pos"] == retried["pos"]
    stale = await ss(api, alice, room_list(), first["pos"])
    assert (stale.status, stale.errcode) == (400, "M_UNKNOWN_POS")


async def test_unknown_or_foreign_pos_is_refused(api: Api) -> None:
    alice = await api.register()
    first = await ok(api, alice, room_list())
    for pos in ("nonsense", "x.1", first["pos"] + "0", ""):
        reply = await ss(api, alice, room_list(), pos)
        assert (reply.status, reply.errcode) == (400, "M_UNKNOWN_POS"), pos
    other_device = await api.login(alice)
    reply = await ss(api, other_device, room_list(), first["pos"])
    assert (reply.status, reply.errcode) == (400, "M_UNKNOWN_POS")
    mallory = await api.register()
    reply = await ss(api, mallory, room_list(), first["pos"])
    assert (reply.status, reply.errcode) == (400, "M_UNKNOWN_POS")
    other_conn = {**room_list(), "conn_id": "other"}
    reply = await ss(api, alice, other_conn, first["pos"])
    assert (reply.status, reply.errcode) == (400, "M_UNKNOWN_POS")


async def test_bad_requests_get_matrix_errors(api: Api) -> None:
    alice = await api.register()
    cases: list[dict[str, Any]] = [
        {"lists": []},
        {"lists": {"a": {"ranges": [[5, 1]], "timeline_limit": 1}}},
        {"lists": {"a": {"ranges": "0-1", "timeline_limit": 1}}},
        {"lists": {"a": {"timeline_limit": -1}}},
        {"lists": {"a": {"timeline_limit": 1, "required_state": [["m.room.name"]]}}},
        {"lists": {f"l{i}": {"timeline_limit": 1} for i in range(101)}},
        {"room_subscriptions": {"!x:y": {"timeline_limit": "5"}}},
        {"lists": {"a": {"timeline_limit": 1, "filters": {"is_dm": "yes"}}}},
        {"extensions": {"to_device": {"enabled": True, "since": 5}}},
        {"conn_id": 7},
    ]
    for body in cases:
        reply = await ss(api, alice, body)
        assert reply.status == 400 and reply.errcode in ("M_BAD_JSON", "M_INVALID_PARAM"), (body, reply)
    reply = await api.request("POST", SS, alice, json={}, params={"set_presence": "dancing"})
    assert (reply.status, reply.errcode) == (400, "M_INVALID_PARAM")
    assert (await api.request("POST", SS, json={})).status == 401


def one_list(required_state: Any, limit: int = 5, **extra: Any) -> dict[str, Any]:
    return {"lists": {"l": {"ranges": [[0, 9]], "timeline_limit": limit, "required_state": required_state, **extra}}}


async def _busy_room(api: Api) -> tuple[User, User, User, str]:
    """A room with a name and topic where alice, bob and carol are joined and only bob and carol talk."""
    alice, bob, carol = await api.register(), await api.register(), await api.register()
    room = await api.create_room(alice, preset="public_chat", name="busy", topic="things")
    for user in (bob, carol):
        await api.join(user, room)
    await api.send(bob, room, "from bob")
    await api.send(carol, room, "from carol")
    return alice, bob, carol, room


async def test_required_state_is_honoured_exactly(api: Api) -> None:
    alice, bob, carol, room = await _busy_room(api)
    members = {("m.room.member", u.user_id) for u in (alice, bob, carol)}

    async def keys(required_state: Any, limit: int = 5) -> set[tuple[str, str]]:
        return state_keys((await ok(api, alice, one_list(required_state, limit)))["rooms"][room])

    assert await keys([["m.room.create", ""]]) == {("m.room.create", "")}
    assert await keys([]) == set()
    everything = await keys([["*", "*"]])
    assert members | {("m.room.name", ""), ("m.room.topic", ""), ("m.room.create", "")} <= everything
    assert await keys([["m.room.member", "*"]]) == members
    assert await keys([["m.room.member", "$ME"]]) == {("m.room.member", alice.user_id)}
    assert await keys([["m.room.member", bob.user_id]]) == {("m.room.member", bob.user_id)}
    assert await keys([["*", ""]]) == {k for k in everything if k[1] == ""}
    assert await keys([["m.room.name", "*"], ["m.room.topic", "nope"]]) == {("m.room.name", "")}
    # $LAZY: the members the timeline needs (its senders), not the silent alice.
    assert await keys([["m.room.member", "$LAZY"]], limit=2) == {
        ("m.room.member", bob.user_id),
        ("m.room.member", carol.user_id),
    }
    assert await keys([["m.room.member", "$LAZY"]], limit=1) == {("m.room.member", carol.user_id)}
    # ["*", "*"] with $LAZY still means every member; the MSC's later shape with lazy_members does not.
    assert members <= await keys([["*", "*"], ["m.room.member", "$LAZY"]], limit=1)
    later = await keys({"include": [{}], "exclude": [{"type": "m.room.topic"}], "lazy_members": True}, limit=1)
    assert ("m.room.member", carol.user_id) in later and ("m.room.member", alice.user_id) not in later
    assert ("m.room.topic", "") not in later and ("m.room.name", "") in later


async def test_incremental_required_state_carries_changes_and_expansions(api: Api) -> None:
    alice, bob, _carol, room = await _busy_room(api)
    config = one_list([["m.room.name", ""], ["m.room.member", "$LAZY"]], limit=1)
    first = await ok(api, alice, config)
    assert first["rooms"][room]["name"] == "busy"
    await api.ok("PUT", f"{C}/rooms/{q(room)}/state/m.room.name/", alice, json={"name": "calm"})
    await api.ok("PUT", f"{C}/rooms/{q(room)}/state/m.room.topic/", alice, json={"topic": "not asked for"})
    second = await ok(api, alice, config, first["pos"])
    entry = second["rooms"][room]
    assert entry["name"] == "calm" and "initial" not in entry
    assert ("m.room.name", "") in state_keys(entry) and ("m.room.topic", "") not in state_keys(entry)
    # Asking for more state sends what now matches, even without new events.
    wider = one_list([["m.room.name", ""], ["m.room.topic", ""], ["m.room.member", "$LAZY"]], limit=1)
    third = await ok(api, alice, wider, second["pos"])
    assert ("m.room.topic", "") in state_keys(third["rooms"][room])
    assert ("m.room.name", "") not in state_keys(third["rooms"][room])
    # A larger timeline_limit sends the latest events again, flagged as an expanded timeline.
    longer = one_list([["m.room.name", ""], ["m.room.topic", ""], ["m.room.member", "$LAZY"]], limit=10)
    fourth = await ok(api, alice, longer, third["pos"])
    entry = fourth["rooms"][room]
    assert entry["expanded_timeline"] is True and bodies(entry) == ["from bob", "from carol"]
    assert entry["num_live"] == 0
    assert ("m.room.member", bob.user_id) in state_keys(entry)


async def test_long_poll_wakes_on_a_message(api: Api) -> None:
    alice = await api.register()
    room = await api.create_room(alice)
    first = await ok(api, alice, room_list())
    started = time.monotonic()
    waiting = asyncio.create_task(ok(api, alice, room_list(), first["pos"], timeout=20_000))
    await asyncio.sleep(0.3)
    assert not waiting.done()
    await api.send(alice, room, "are you there")
    woken = await asyncio.wait_for(waiting, 10)
    assert time.monotonic() - started < 10
    assert bodies(woken["rooms"][room]) == ["are you there"]
    # Nothing new: the long-poll times out with the same pos.
    idle = await ok(api, alice, room_list(), woken["pos"], timeout=300)
    assert idle["rooms"] == {} and idle["pos"] == woken["pos"]


async def test_invites_appear_in_an_invite_list_with_stripped_state(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    joined = await api.create_room(bob)
    body = {
        "conn_id": "notifications",
        "lists": {
            "invites": {"ranges": [[0, 99]], "timeline_limit": 1, "required_state": [], "filters": {"is_invite": True}}
        },
        "room_subscriptions": {joined: {"timeline_limit": 3, "required_state": [["*", "*"]]}},
    }
    first = await ok(api, bob, body)
    assert first["lists"]["invites"]["count"] == 0 and list(first["rooms"]) == [joined]
    room = await api.create_room(alice, name="secret plans", preset="private_chat")
    await api.send(alice, room, "not for invitees")
    await api.ok("POST", f"{C}/rooms/{q(room)}/invite", alice, json={"user_id": bob.user_id})
    second = await ok(api, bob, body, first["pos"])
    assert second["lists"]["invites"]["count"] == 1
    entry = second["rooms"][room]
    assert entry["membership"] == "invite" and entry["initial"] is True
    assert entry["name"] == "secret plans" and entry["notification_count"] == 0
    assert "timeline" not in entry and "required_state" not in entry
    stripped = {(e["type"], e["state_key"]) for e in entry["invite_state"]}
    assert ("m.room.name", "") in stripped and ("m.room.member", bob.user_id) in stripped
    # Joining sends the room whole.
    await api.join(bob, room)
    body["lists"]["invites"]["filters"] = {}
    third = await ok(api, bob, body, second["pos"])
    entry = third["rooms"][room]
    assert entry["membership"] == "join" and entry["initial"] is True and entry["name"] == "secret plans"
    assert "not for invitees" not in bodies(entry)  # history visibility: shared, but bob was not invited yet


async def test_left_rooms_show_nothing_after_the_leave(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    room = await api.create_room(alice, preset="public_chat", name="before")
    await api.join(bob, room)
    await api.send(alice, room, "while bob is here")
    first = await ok(api, bob, one_list([["*", "*"]], limit=10))
    assert "while bob is here" in bodies(first["rooms"][room])
    await api.ok("POST", f"{C}/rooms/{q(room)}/kick", alice, json={"user_id": bob.user_id})
    await api.send(alice, room, "after bob left")
    await api.ok("PUT", f"{C}/rooms/{q(room)}/state/m.room.name/", alice, json={"name": "after"})
    second = await ok(api, bob, one_list([["*", "*"]], limit=10), first["pos"])
    entry = second["rooms"][room]
    assert entry["membership"] == "leave"
    assert "after bob left" not in bodies(entry) and "name" not in entry
    assert [e["type"] for e in entry["timeline"]][-1] == "m.room.member"
    # A new connection (another device) sees the kicked room as it was at the leave, and nothing later.
    fresh = await ok(api, await api.login(bob), one_list([["*", "*"]], limit=10))
    entry = fresh["rooms"][room]
    assert entry["membership"] == "leave" and entry["name"] == "before"
    assert "after bob left" not in bodies(entry)
    assert all(e.get("content", {}).get("name") != "after" for e in entry["required_state"])
    # A subscription to a room one was never in is ignored.
    stranger = await api.register()
    reply = await ok(
        api, stranger, {"room_subscriptions": {room: {"timeline_limit": 5, "required_state": [["*", "*"]]}}}
    )
    assert reply["rooms"] == {}


async def test_self_left_rooms_are_not_listed_on_a_new_connection(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    room = await api.create_room(alice, preset="public_chat")
    await api.join(bob, room)
    first = await ok(api, bob, room_list())
    assert room in first["rooms"]
    await api.ok("POST", f"{C}/rooms/{q(room)}/leave", bob, json={})
    second = await ok(api, bob, room_list(), first["pos"])  # the connection saw the room: it learns of the leave
    assert second["rooms"][room]["membership"] == "leave"
    fresh = await ok(api, bob, {**room_list(), "conn_id": "another"})
    assert room not in fresh["rooms"] and fresh["lists"]["all_rooms"]["count"] == 0


async def test_history_visibility_joined_hides_what_came_before(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    room = await api.create_room(
        alice,
        preset="public_chat",
        initial_state=[
            {"type": "m.room.history_visibility", "state_key": "", "content": {"history_visibility": "joined"}}
        ],
    )
    await api.send(alice, room, "before bob")
    await api.join(bob, room)
    await api.send(alice, room, "after bob")
    body = await ok(api, bob, one_list([], limit=20))
    assert bodies(body["rooms"][room]) == ["after bob"]


def encryption(since: str | None = None) -> dict[str, Any]:
    """Element X's `encryption` connection."""
    to_device: dict[str, Any] = {"enabled": True}
    if since is not None:
        to_device["since"] = since
    return {"conn_id": "encryption", "extensions": {"to_device": to_device, "e2ee": {"enabled": True}}}


async def send_to_device(api: Api, sender: User, target: User, count: int) -> None:
    for i in range(count):
        messages = {target.user_id: {target.device_id: {"n": i}}}
        await api.ok("PUT", f"{C}/sendToDevice/m.test/t{i}", sender, json={"messages": messages})


async def test_to_device_messages_arrive_once_at_most_100_at_a_time(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    await send_to_device(api, alice, bob, 105)
    first = await ok(api, bob, encryption())
    batch = first["extensions"]["to_device"]
    assert [e["content"]["n"] for e in batch["events"]] == list(range(100))
    assert batch["events"][0]["sender"] == alice.user_id and batch["events"][0]["type"] == "m.test"
    # Not acknowledged yet (since not sent): the same messages again.
    again = await ok(api, bob, encryption(), first["pos"])
    assert [e["content"]["n"] for e in again["extensions"]["to_device"]["events"]] == list(range(100))
    rest = await ok(api, bob, encryption(batch["next_batch"]), again["pos"])
    assert [e["content"]["n"] for e in rest["extensions"]["to_device"]["events"]] == list(range(100, 105))
    done = await ok(api, bob, encryption(rest["extensions"]["to_device"]["next_batch"]), rest["pos"])
    assert done["extensions"]["to_device"]["events"] == []


async def test_to_device_wakes_a_long_poll(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    first = await ok(api, bob, encryption())
    since = first["extensions"]["to_device"]["next_batch"]
    waiting = asyncio.create_task(ok(api, bob, encryption(since), first["pos"], timeout=20_000))
    await asyncio.sleep(0.3)
    await send_to_device(api, alice, bob, 1)
    woken = await asyncio.wait_for(waiting, 10)
    assert [e["content"] for e in woken["extensions"]["to_device"]["events"]] == [{"n": 0}]


async def test_e2ee_counts_fallback_types_and_device_list_changes(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    device = Device(bob)
    await device.upload(
        api,
        device_keys=device.device_keys(),
        one_time_keys=device.one_time_keys(4),
        fallback_keys=device.one_time_keys(1, prefix="fb", fallback=True),
    )
    first = await ok(api, bob, encryption())
    e2ee = first["extensions"]["e2ee"]
    assert e2ee["device_one_time_keys_count"] == {"signed_curve25519": 4}
    assert e2ee["device_unused_fallback_key_types"] == ["signed_curve25519"]
    room = await api.create_room(alice, preset="public_chat")
    await api.join(bob, room)
    second = await ok(api, bob, encryption(), first["pos"])
    assert alice.user_id in second["extensions"]["e2ee"]["device_lists"]["changed"]
    alice_device = Device(alice)
    third = await ok(api, bob, encryption(), second["pos"])
    await alice_device.upload(api, device_keys=alice_device.device_keys())
    fourth = await ok(api, bob, encryption(), third["pos"])
    assert fourth["extensions"]["e2ee"]["device_lists"]["changed"] == [alice.user_id]
    await api.ok("POST", f"{C}/rooms/{q(room)}/leave", bob, json={})
    fifth = await ok(api, bob, encryption(), fourth["pos"])
    assert fifth["extensions"]["e2ee"]["device_lists"]["left"] == [alice.user_id]


async def test_account_data_receipts_and_typing_extensions(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    room = await api.create_room(alice, preset="public_chat")
    await api.join(bob, room)
    event_id = await api.send(alice, room, "read me")
    await api.ok("PUT", f"{C}/user/{q(bob.user_id)}/account_data/m.direct", bob, json={alice.user_id: [room]})
    await api.ok("PUT", f"{C}/user/{q(bob.user_id)}/rooms/{q(room)}/tags/u.work", bob, json={"order": 0.5})
    await api.ok("POST", f"{C}/rooms/{q(room)}/receipt/m.read/{q(event_id)}", alice, json={})
    first = await ok(api, bob, room_list())
    ext = first["extensions"]
    global_types = {e["type"] for e in ext["account_data"]["global"]}
    assert {"m.direct", "m.push_rules"} <= global_types
    assert ext["account_data"]["rooms"][room] == [{"type": "m.tag", "content": {"tags": {"u.work": {"order": 0.5}}}}]
    receipt = ext["receipts"]["rooms"][room]
    assert receipt["type"] == "m.receipt" and alice.user_id in receipt["content"][event_id]["m.read"]
    assert first["rooms"][room]["is_dm"] is True
    await api.ok(
        "PUT", f"{C}/rooms/{q(room)}/typing/{q(alice.user_id)}", alice, json={"typing": True, "timeout": 30000}
    )
    await api.ok("POST", f"{C}/rooms/{q(room)}/receipt/m.read/{q(event_id)}", bob, json={})
    second = await ok(api, bob, room_list(), first["pos"])
    ext = second["extensions"]
    assert ext["typing"]["rooms"][room] == {"type": "m.typing", "content": {"user_ids": [alice.user_id]}}
    assert list(ext["receipts"]["rooms"][room]["content"][event_id]["m.read"]) == [bob.user_id]
    assert ext["account_data"]["global"] == [] and ext["account_data"]["rooms"] == {}
    await api.ok("PUT", f"{C}/rooms/{q(room)}/typing/{q(alice.user_id)}", alice, json={"typing": False})
    third = await ok(api, bob, room_list(), second["pos"])
    assert third["extensions"]["typing"]["rooms"][room]["content"] == {"user_ids": []}


async def test_list_filters(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    plain = await api.create_room(alice)
    space = await api.create_room(alice, creation_content={"type": "m.space"})
    child = await api.create_room(alice)
    await api.ok("PUT", f"{C}/rooms/{q(space)}/state/m.space.child/{q(child)}", alice, json={"via": ["localhost"]})
    encrypted = await api.create_room(
        alice,
        initial_state=[
            {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}
        ],
    )
    dm = await api.create_room(alice, is_direct=True, invite=[bob.user_id])
    await api.join(bob, dm)
    await api.ok("PUT", f"{C}/user/{q(alice.user_id)}/account_data/m.direct", alice, json={bob.user_id: [dm]})
    invited = await api.create_room(bob, invite=[alice.user_id])

    async def matching(filters: dict[str, Any]) -> set[str]:
        body = await ok(api, alice, {"lists": {"l": {"ranges": [[0, 99]], "timeline_limit": 0, "filters": filters}}})
        assert body["lists"]["l"]["count"] == len(body["rooms"])
        return set(body["rooms"])

    everything = {plain, space, child, encrypted, dm, invited}
    assert await matching({}) == everything
    assert await matching({"is_dm": True}) == {dm}
    assert await matching({"is_dm": False}) == everything - {dm}
    assert await matching({"is_invite": True}) == {invited}
    assert await matching({"is_invite": False}) == everything - {invited}
    assert await matching({"is_encrypted": True}) == {encrypted}
    assert await matching({"room_types": ["m.space"]}) == {space}
    assert await matching({"room_types": [None]}) == everything - {space}
    assert await matching({"not_room_types": ["m.space"]}) == everything - {space}
    assert await matching({"room_types": ["m.space", None], "not_room_types": ["m.space"]}) == everything - {space}
    assert await matching({"spaces": [space]}) == {child}
    assert await matching({"spaces": ["!unknown:localhost"]}) == set()
    await api.ok("PUT", f"{C}/user/{q(alice.user_id)}/rooms/{q(plain)}/tags/m.favourite", alice, json={})
    await api.ok("PUT", f"{C}/user/{q(alice.user_id)}/rooms/{q(child)}/tags/u.work", alice, json={})
    assert await matching({"tags": ["m.favourite", "u.work"]}) == {plain, child}
    assert await matching({"tags": ["m.favourite", "u.work"], "not_tags": ["u.work"]}) == {plain}
    assert await matching({"not_tags": ["m.favourite"]}) == everything - {plain}


async def test_rooms_are_ordered_by_bump_stamp_not_by_any_event(api: Api) -> None:
    alice = await api.register()
    older = await api.create_room(alice)
    newer = await api.create_room(alice)
    await api.send(alice, older, "a message bumps")
    body = await ok(api, alice, room_list(0, 0))
    assert list(body["rooms"]) == [older]
    await api.ok("PUT", f"{C}/rooms/{q(newer)}/state/m.room.topic/", alice, json={"topic": "state does not bump"})
    body = await ok(api, alice, room_list(0, 0))
    assert list(body["rooms"]) == [older]
    await api.send(alice, newer, event_type="m.reaction", content={})
    assert list((await ok(api, alice, room_list(0, 0)))["rooms"]) == [older]
    for event_type in ("m.call.invite", "m.poll.start", "m.sticker", "m.room.encrypted"):
        target = newer if event_type in ("m.call.invite", "m.sticker") else older
        await api.send(alice, target, event_type=event_type, content={"body": event_type})
        assert list((await ok(api, alice, room_list(0, 0)))["rooms"]) == [target], event_type


async def test_room_subscription_with_its_own_config_combines_with_lists(api: Api) -> None:
    alice = await api.register()
    room = await api.create_room(alice, name="subscribed")
    for i in range(5):
        await api.send(alice, room, f"m{i}")
    body = room_list(0, 19, limit=1)
    body["room_subscriptions"] = {room: {"timeline_limit": 3, "required_state": [["m.room.topic", ""]]}}
    first = await ok(api, alice, body)
    entry = first["rooms"][room]
    assert bodies(entry) == ["m2", "m3", "m4"] and entry["lists"] == ["all_rooms"]
    assert ("m.room.create", "") in state_keys(entry)  # the list's required_state, combined


async def test_password_login_then_sliding_sync(api: Api) -> None:
    alice = await api.register()
    flows = await api.ok("GET", C + "/login")
    assert {"type": "m.login.password"} in flows["flows"]
    phone = await api.login(alice, device_id="ELEMENTX")
    body = await ok(api, phone, room_list())
    assert body["lists"]["all_rooms"]["count"] == 0 and isinstance(body["pos"], str)


async def test_heroes_and_lazy_members_follow_membership_changes(api: Api) -> None:
    alice, bob, carol = await api.register(), await api.register(), await api.register()
    await api.ok("PUT", f"{C}/profile/{q(bob.user_id)}/displayname", bob, json={"displayname": "Bob B."})
    room = await api.create_room(alice, preset="public_chat")
    await api.join(bob, room)
    config = one_list([["m.room.member", "$LAZY"], ["m.room.name", ""]], limit=3)
    first = await ok(api, alice, config)
    entry = first["rooms"][room]
    assert "name" not in entry and entry["heroes"] == [{"user_id": bob.user_id, "displayname": "Bob B."}]
    await api.join(carol, room)
    await api.send(carol, room, "hello from carol")
    second = await ok(api, alice, config, first["pos"])
    entry = second["rooms"][room]
    assert [h["user_id"] for h in entry["heroes"]] == sorted([bob.user_id, carol.user_id])
    assert ("m.room.member", carol.user_id) in state_keys(entry)
    assert ("m.room.member", bob.user_id) not in state_keys(entry)  # not in this timeline
    assert entry["joined_count"] == 3
    await api.ok("PUT", f"{C}/rooms/{q(room)}/state/m.room.name/", alice, json={"name": "named"})
    third = await ok(api, alice, config, second["pos"])
    assert third["rooms"][room]["name"] == "named" and "heroes" not in third["rooms"][room]
    await api.ok("PUT", f"{C}/rooms/{q(room)}/state/m.room.name/", alice, json={})
    fourth = await ok(api, alice, config, third["pos"])
    assert fourth["rooms"][room]["name"] is None


async def test_reading_on_another_device_resends_the_counts(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    room = await api.create_room(alice, preset="public_chat")
    await api.join(bob, room)
    await api.send(alice, room, "one")
    last = await api.send(alice, room, "two")
    first = await ok(api, bob, room_list())
    assert first["rooms"][room]["notification_count"] == 2
    other_device = await api.login(bob)
    await api.ok("POST", f"{C}/rooms/{q(room)}/receipt/m.read/{q(last)}", other_device, json={})
    second = await ok(api, bob, room_list(), first["pos"])
    entry = second["rooms"][room]
    assert entry["notification_count"] == 0 and entry["timeline"] == [] and "initial" not in entry
    third = await ok(api, bob, room_list(), second["pos"])
    assert third["rooms"] == {}


async def test_answers_to_a_cancelled_or_retried_request_do_not_spoil_the_connection(api: Api) -> None:
    alice = await api.register()
    room = await api.create_room(alice)
    await api.send(alice, room, "old")
    start = await ok(api, alice, room_list(limit=1))
    # A long-poll the client will give up on (as when it changes its request and resends).
    abandoned = asyncio.create_task(ss(api, alice, room_list(limit=1), start["pos"], timeout=20_000))
    await asyncio.sleep(0.3)
    wider = await ok(api, alice, room_list(limit=5), start["pos"])  # same pos, new body: an expanded timeline
    assert wider["rooms"][room]["expanded_timeline"] is True
    moved_on = await ok(api, alice, room_list(limit=5), wider["pos"])
    assert moved_on["rooms"] == {}
    await api.send(alice, room, "new")
    late = await asyncio.wait_for(abandoned, 10)  # answers the old pos; the client no longer listens
    assert late.status == 200
    current = await ok(api, alice, room_list(limit=5), moved_on["pos"])
    assert bodies(current["rooms"][room]) == ["new"] and "initial" not in current["rooms"][room]
    # Two answers to one pos: the one the client goes on from counts, the other is forgotten.
    await api.send(alice, room, "twice")
    first_try = await ok(api, alice, room_list(limit=5), current["pos"])
    second_try = await ok(api, alice, room_list(limit=5), current["pos"])
    assert bodies(first_try["rooms"][room]) == bodies(second_try["rooms"][room]) == ["twice"]
    assert first_try["pos"] != second_try["pos"]
    after = await ok(api, alice, room_list(limit=5), second_try["pos"])
    assert after["rooms"] == {}
    for spent in (first_try["pos"], current["pos"]):
        reply = await ss(api, alice, room_list(limit=5), spent)
        assert (reply.status, reply.errcode) == (400, "M_UNKNOWN_POS")


async def test_a_room_sent_whole_carries_receipts_on_its_timeline_and_ones_own(api: Api) -> None:
    alice, bob, carol = await api.register(), await api.register(), await api.register()
    room = await api.create_room(alice, preset="public_chat")
    for user in (bob, carol):
        await api.join(user, room)
    older = await api.send(alice, room, "older")
    await api.ok("POST", f"{C}/rooms/{q(room)}/receipt/m.read/{q(older)}", carol, json={})
    await api.ok("POST", f"{C}/rooms/{q(room)}/receipt/m.read/{q(older)}", bob, json={})
    latest = await api.send(alice, room, "latest")
    await api.ok("POST", f"{C}/rooms/{q(room)}/receipt/m.read/{q(latest)}", alice, json={})
    body = await ok(api, bob, room_list(limit=1))
    content = body["extensions"]["receipts"]["rooms"][room]["content"]
    assert set(content) == {older, latest}
    assert list(content[latest]["m.read"]) == [alice.user_id]  # on the timeline's event
    assert list(content[older]["m.read"]) == [bob.user_id]  # bob's own; carol's is off the timeline


async def test_knocks_are_listed_bans_before_joining_and_rejected_invites_are_not(api: Api) -> None:
    owner, user = await api.register(), await api.register()
    knocked = await api.create_room(owner, name="Ask first")
    await api.ok("PUT", f"{C}/rooms/{q(knocked)}/state/m.room.join_rules/", owner, json={"join_rule": "knock"})
    await api.ok("POST", f"{C}/knock/{q(knocked)}", user, json={})
    banned = await api.create_room(owner, preset="public_chat", name="never joined")
    await api.send(owner, banned, "not for the banned")
    await api.ok("POST", f"{C}/rooms/{q(banned)}/ban", owner, json={"user_id": user.user_id})
    rejected = await api.create_room(owner, name="declined", invite=[user.user_id])
    await api.ok("POST", f"{C}/rooms/{q(rejected)}/leave", user, json={})
    body = await ok(api, user, room_list(0, 99, limit=5))
    assert set(body["rooms"]) == {knocked} and body["lists"]["all_rooms"]["count"] == 1
    entry = body["rooms"][knocked]
    assert entry["membership"] == "knock" and "timeline" not in entry
    assert ("m.room.name", "") in {(e["type"], e["state_key"]) for e in entry["invite_state"]}
    subscribed = {
        "room_subscriptions": {r: {"timeline_limit": 5, "required_state": [["*", "*"]]} for r in (banned, rejected)}
    }
    assert (await ok(api, user, subscribed))["rooms"] == {}


async def test_a_room_back_in_range_brings_what_it_missed_limited(api: Api) -> None:
    alice = await api.register()
    quiet = await api.create_room(alice, name="quiet")
    busy = await api.create_room(alice, name="busy")
    first = await ok(api, alice, room_list(0, 0, limit=3))
    assert list(first["rooms"]) == [busy]
    for i in range(5):
        await api.send(alice, quiet, f"q{i}")
    second = await ok(api, alice, room_list(0, 0, limit=3), first["pos"])
    entry = second["rooms"][quiet]
    assert entry["initial"] is True and bodies(entry) == ["q2", "q3", "q4"] and entry["limited"] is True
    await api.send(alice, busy, "b1")  # busy comes back into the window with what it missed
    third = await ok(api, alice, room_list(0, 0, limit=3), second["pos"])
    entry = third["rooms"][busy]
    assert "initial" not in entry and bodies(entry) == ["b1"] and entry["limited"] is False
    for i in range(4):
        await api.send(alice, quiet, f"r{i}")
    await api.send(alice, busy, "b2")
    fourth = await ok(api, alice, room_list(0, 0, limit=3), third["pos"])
    assert list(fourth["rooms"]) == [busy]
    grown = await ok(api, alice, room_list(0, 1, limit=3), fourth["pos"])
    entry = grown["rooms"][quiet]
    assert "initial" not in entry and bodies(entry) == ["r1", "r2", "r3"] and entry["limited"] is True
    assert entry["prev_batch"]


async def test_a_change_of_m_direct_resends_is_dm(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    room = await api.create_room(alice, invite=[bob.user_id], is_direct=True)
    other = await api.create_room(alice)
    first = await ok(api, alice, room_list())
    assert "is_dm" not in first["rooms"][room]
    m_direct = f"{C}/user/{q(alice.user_id)}/account_data/m.direct"
    await api.ok("PUT", m_direct, alice, json={bob.user_id: [room]})
    second = await ok(api, alice, room_list(), first["pos"])
    assert second["rooms"][room]["is_dm"] is True and second["rooms"][other]["is_dm"] is False
    assert second["rooms"][room]["timeline"] == []
    assert (await ok(api, alice, room_list(), second["pos"]))["rooms"] == {}
    await api.ok("PUT", m_direct, alice, json={})
    third = await ok(api, alice, room_list(), second["pos"])
    assert third["rooms"][room]["is_dm"] is False
