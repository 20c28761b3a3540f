"""Simplified sliding sync (MSC4186) with the request shapes Element X sends: lists, ranges, required_state,
incremental responses, connections and `pos`, extensions, long-polling, and what a user may not see."""

from __future__ import annotations

import asyncio
import time
from typing import Any

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
