"""Spaces and room discovery (client-server API): GET /v1/rooms/{roomId}/hierarchy, GET /v1/room_summary/
{roomIdOrAlias} (also MSC3266's unstable path) and GET /v1/rooms/{roomId}/timestamp_to_event."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tests.client import Api, C, User, q

V1 = "/_matrix/client/v1"


async def add_child(api: Api, owner: User, space: str, child: str, **content: Any) -> None:
    body = {"via": ["localhost"], **content}
    await api.ok("PUT", f"{C}/rooms/{q(space)}/state/m.space.child/{q(child)}", owner, json=body)


async def space(api: Api, owner: User, name: str, **extra: Any) -> str:
    return await api.create_room(owner, name=name, creation_content={"type": "m.space"}, **extra)


def names(body: dict[str, Any]) -> list[str]:
    return [room.get("name", "?") for room in body["rooms"]]


async def test_hierarchy_walks_the_space_depth_first_in_the_spec_order(api: Api) -> None:
    owner, viewer = await api.register(), await api.register()
    root = await space(api, owner, "root", preset="public_chat")
    sub = await space(api, owner, "sub", preset="public_chat")
    a = await api.create_room(owner, name="a", preset="public_chat", topic="first")
    b = await api.create_room(owner, name="b", preset="public_chat")
    deep = await api.create_room(owner, name="deep", preset="public_chat")
    private = await api.create_room(owner, name="private")
    await add_child(api, owner, root, b)
    await add_child(api, owner, root, sub, order="b", suggested=True)
    await add_child(api, owner, root, a, order="a")
    await add_child(api, owner, root, private)
    await api.ok("PUT", f"{C}/rooms/{q(root)}/state/m.space.child/{q(deep)}", owner, json={})  # removed child
    await add_child(api, owner, sub, deep)

    body = await api.ok("GET", f"{V1}/rooms/{q(root)}/hierarchy", viewer)
    assert names(body) == ["root", "a", "sub", "deep", "b"], "order, then sub-spaces depth first; private hidden"
    assert "next_batch" not in body
    top = body["rooms"][0]
    assert top["room_type"] == "m.space" and top["room_id"] == root and top["join_rule"] == "public"
    assert top["num_joined_members"] == 1 and top["world_readable"] is False and top["guest_can_join"] is False
    assert top["room_version"] and "encryption" not in top
    child_keys = [c["state_key"] for c in top["children_state"]]
    assert child_keys == [a, sub, b, private]
    assert all(c["type"] == "m.space.child" and "origin_server_ts" in c for c in top["children_state"])
    assert body["rooms"][1]["topic"] == "first" and body["rooms"][1]["children_state"] == []

    owner_view = await api.ok("GET", f"{V1}/rooms/{q(root)}/hierarchy", owner)
    assert names(owner_view) == ["root", "a", "sub", "deep", "b", "private"]

    shallow = await api.ok("GET", f"{V1}/rooms/{q(root)}/hierarchy", viewer, params={"max_depth": "1"})
    assert names(shallow) == ["root", "a", "sub", "b"]
    suggested = await api.ok("GET", f"{V1}/rooms/{q(root)}/hierarchy", viewer, params={"suggested_only": "true"})
    assert names(suggested) == ["root", "sub"], "deep is not a suggested child of sub"

    pages: list[str] = []
    params = {"limit": "2"}
    while True:
        page = await api.ok("GET", f"{V1}/rooms/{q(root)}/hierarchy", viewer, params=params)
        assert len(page["rooms"]) <= 2
        pages += names(page)
        if "next_batch" not in page:
            break
        params = {"limit": "2", "from": page["next_batch"]}
    assert pages == ["root", "a", "sub", "deep", "b"]


async def test_hierarchy_refusals(api: Api) -> None:
    owner, viewer = await api.register(), await api.register()
    private_space = await space(api, owner, "secret")
    public_space = await space(api, owner, "open", preset="public_chat")
    for room in (private_space, "!unknown:localhost"):
        reply = await api.request("GET", f"{V1}/rooms/{q(room)}/hierarchy", viewer)
        assert (reply.status, reply.errcode) == (403, "M_FORBIDDEN")
    for params in ({"limit": "0"}, {"max_depth": "-1"}, {"from": "nonsense"}):
        reply = await api.request("GET", f"{V1}/rooms/{q(public_space)}/hierarchy", viewer, params=params)
        assert (reply.status, reply.errcode) == (400, "M_INVALID_PARAM"), params
    for child in range(3):
        await add_child(api, owner, public_space, await api.create_room(owner, name=f"c{child}", preset="public_chat"))
    page = await api.ok("GET", f"{V1}/rooms/{q(public_space)}/hierarchy", viewer, params={"limit": "1"})
    changed = {"limit": "1", "from": page["next_batch"], "suggested_only": "true"}
    reply = await api.request("GET", f"{V1}/rooms/{q(public_space)}/hierarchy", viewer, params=changed)
    assert (reply.status, reply.errcode) == (400, "M_INVALID_PARAM")
    # A loop of spaces ends.
    await add_child(api, owner, public_space, public_space)
    assert names(await api.ok("GET", f"{V1}/rooms/{q(public_space)}/hierarchy", owner)) == ["open", "c0", "c1", "c2"]


async def test_room_summary_for_those_who_may_know_of_the_room(api: Api) -> None:
    owner, invitee, outsider = await api.register(), await api.register(), await api.register()
    alias_name = "sum" + owner.user_id[2:10]
    public = await api.create_room(
        owner, name="Public", topic="All welcome", preset="public_chat", room_alias_name=alias_name
    )
    await api.ok(
        "PUT", f"{C}/rooms/{q(public)}/state/m.room.encryption/", owner, json={"algorithm": "m.megolm.v1.aes-sha2"}
    )
    private = await api.create_room(owner, name="Private", invite=[invitee.user_id])

    for path in (f"{V1}/room_summary/{q(f'#{alias_name}:localhost')}", f"{V1}/room_summary/{q(public)}"):
        summary = await api.ok("GET", path, outsider)
        assert summary["room_id"] == public and summary["name"] == "Public" and summary["topic"] == "All welcome"
        assert summary["join_rule"] == "public" and summary["num_joined_members"] == 1
        assert summary["encryption"] == "m.megolm.v1.aes-sha2" and summary["room_version"]
        assert summary["canonical_alias"] == f"#{alias_name}:localhost"
        assert "membership" not in summary
    anonymous = await api.ok("GET", f"{V1}/room_summary/{q(public)}")
    assert anonymous["room_id"] == public and "membership" not in anonymous
    unstable = await api.ok("GET", f"/_matrix/client/unstable/im.nheko.summary/summary/{q(public)}", outsider)
    assert unstable["room_id"] == public

    assert (await api.ok("GET", f"{V1}/room_summary/{q(private)}", owner))["membership"] == "join"
    invited = await api.ok("GET", f"{V1}/room_summary/{q(private)}", invitee)
    assert invited["membership"] == "invite" and invited["name"] == "Private"
    for user in (outsider, None):
        reply = await api.request("GET", f"{V1}/room_summary/{q(private)}", user)
        assert (reply.status, reply.errcode) == (404, "M_NOT_FOUND"), "a private room stays unknown"
    for target in ("!unknown:localhost", "#unknown:localhost"):
        reply = await api.request("GET", f"{V1}/room_summary/{q(target)}", outsider)
        assert (reply.status, reply.errcode) == (404, "M_NOT_FOUND")


async def test_timestamp_to_event_finds_the_closest_visible_event(api: Api) -> None:
    owner, outsider = await api.register(), await api.register()
    room = await api.create_room(owner)
    first = await api.send(owner, room, "first")
    await asyncio.sleep(0.05)
    middle_ts = int(time.time() * 1000)
    await asyncio.sleep(0.05)
    second = await api.send(owner, room, "second")
    event = await api.ok("GET", f"{C}/rooms/{q(room)}/event/{q(second)}", owner)

    forwards = await api.ok(
        "GET", f"{V1}/rooms/{q(room)}/timestamp_to_event", owner, params={"ts": str(middle_ts), "dir": "f"}
    )
    assert forwards == {"event_id": second, "origin_server_ts": event["origin_server_ts"]}
    backwards = await api.ok(
        "GET", f"{V1}/rooms/{q(room)}/timestamp_to_event", owner, params={"ts": str(middle_ts), "dir": "b"}
    )
    assert backwards["event_id"] == first
    exact = await api.ok(
        "GET",
        f"{V1}/rooms/{q(room)}/timestamp_to_event",
        owner,
        params={"ts": str(event["origin_server_ts"]), "dir": "b"},
    )
    assert exact["event_id"] == second
    reply = await api.request(
        "GET", f"{V1}/rooms/{q(room)}/timestamp_to_event", owner, params={"ts": str(10**15), "dir": "f"}
    )
    assert (reply.status, reply.errcode) == (404, "M_NOT_FOUND")
    reply = await api.request(
        "GET", f"{V1}/rooms/{q(room)}/timestamp_to_event", outsider, params={"ts": str(middle_ts), "dir": "f"}
    )
    assert (reply.status, reply.errcode) == (403, "M_FORBIDDEN")
    for params in ({"ts": "1"}, {"dir": "f"}, {"ts": "x", "dir": "f"}, {"ts": "1", "dir": "up"}):
        reply = await api.request("GET", f"{V1}/rooms/{q(room)}/timestamp_to_event", owner, params=params)
        assert reply.status == 400, params
