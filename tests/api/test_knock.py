"""Knocking on rooms (client-server API: knocking): POST /knock/{roomIdOrAlias}, knocks seen by the room's
members in /sync, the knocker's own `knock` section, acceptance by invite and rejection by kick."""

from __future__ import annotations

from typing import Any

from tests.client import Api, C, User, q


async def knock_room(api: Api, owner: User, **extra: Any) -> str:
    room = await api.create_room(owner, name="Ask first", topic="Knock to enter", **extra)
    await api.ok("PUT", f"{C}/rooms/{q(room)}/state/m.room.join_rules/", owner, json={"join_rule": "knock"})
    return room


async def test_knock_is_seen_by_admins_and_by_the_knocker(api: Api) -> None:
    owner, knocker = await api.register(), await api.register()
    room = await knock_room(api, owner, room_alias_name="knock" + knocker.user_id[2:8])
    alias = f"#knock{knocker.user_id[2:8]}:localhost"
    owner_since = (await api.sync(owner))["next_batch"]
    knocker_since = (await api.sync(knocker))["next_batch"]

    body = await api.ok("POST", f"{C}/knock/{q(alias)}", knocker, json={"reason": "let me in"})
    assert body == {"room_id": room}

    owner_sync = await api.sync(owner, since=owner_since)
    knocks = [
        e
        for e in owner_sync["rooms"]["join"][room]["timeline"]["events"]
        if e["type"] == "m.room.member" and e["state_key"] == knocker.user_id
    ]
    assert knocks and knocks[0]["content"]["membership"] == "knock" and knocks[0]["content"]["reason"] == "let me in"

    knocker_sync = await api.sync(knocker, since=knocker_since)
    state = knocker_sync["rooms"]["knock"][room]["knock_state"]["events"]
    by_type = {(e["type"], e["state_key"]): e for e in state}
    assert by_type[("m.room.join_rules", "")]["content"] == {"join_rule": "knock"}
    assert by_type[("m.room.name", "")]["content"] == {"name": "Ask first"}
    assert by_type[("m.room.member", knocker.user_id)]["content"]["membership"] == "knock"
    assert room not in knocker_sync["rooms"].get("join", {})
    initial = await api.sync(knocker)
    assert room in initial["rooms"]["knock"]


async def test_an_accepted_knock_becomes_an_invite_and_a_join(api: Api) -> None:
    owner, knocker = await api.register(), await api.register()
    room = await knock_room(api, owner)
    await api.ok("POST", f"{C}/knock/{q(room)}", knocker, json={})
    since = (await api.sync(knocker))["next_batch"]
    await api.ok("POST", f"{C}/rooms/{q(room)}/invite", owner, json={"user_id": knocker.user_id})
    assert room in (await api.sync(knocker, since=since))["rooms"]["invite"]
    await api.join(knocker, room)
    assert room in (await api.ok("GET", C + "/joined_rooms", knocker))["joined_rooms"]


async def test_a_rejected_knock_leaves_the_knocker_outside(api: Api) -> None:
    owner, knocker = await api.register(), await api.register()
    room = await knock_room(api, owner)
    await api.ok("POST", f"{C}/knock/{q(room)}", knocker, json={})
    since = (await api.sync(knocker))["next_batch"]
    await api.ok("POST", f"{C}/rooms/{q(room)}/kick", owner, json={"user_id": knocker.user_id, "reason": "no"})
    sync = await api.sync(knocker, since=since)
    assert room in sync["rooms"]["leave"]
    member = await api.ok("GET", f"{C}/rooms/{q(room)}/state/m.room.member/{q(knocker.user_id)}", owner)
    assert member["membership"] == "leave"
    reply = await api.request("POST", f"{C}/rooms/{q(room)}/join", knocker, json={})
    assert (reply.status, reply.errcode) == (403, "M_FORBIDDEN")
    # They may knock again, and withdraw a knock themselves.
    await api.ok("POST", f"{C}/knock/{q(room)}", knocker, json={})
    await api.ok("POST", f"{C}/rooms/{q(room)}/leave", knocker, json={})
    member = await api.ok("GET", f"{C}/rooms/{q(room)}/state/m.room.member/{q(knocker.user_id)}", owner)
    assert member["membership"] == "leave"


async def test_knocks_that_are_not_allowed(api: Api) -> None:
    owner, other = await api.register(), await api.register()
    invite_only = await api.create_room(owner)
    reply = await api.request("POST", f"{C}/knock/{q(invite_only)}", other, json={})
    assert (reply.status, reply.errcode) == (403, "M_FORBIDDEN"), "the room does not take knocks"
    room = await knock_room(api, owner)
    reply = await api.request("POST", f"{C}/knock/{q(room)}", owner, json={})
    assert (reply.status, reply.errcode) == (403, "M_FORBIDDEN"), "a member cannot knock"
    await api.ok("POST", f"{C}/rooms/{q(room)}/ban", owner, json={"user_id": other.user_id})
    reply = await api.request("POST", f"{C}/knock/{q(room)}", other, json={})
    assert (reply.status, reply.errcode) == (403, "M_FORBIDDEN"), "a banned user cannot knock"
    for target in ("#nowhere:localhost", "!nowhere:localhost"):
        reply = await api.request("POST", f"{C}/knock/{q(target)}", other, json={})
        assert (reply.status, reply.errcode) == (404, "M_NOT_FOUND")
    reply = await api.request("POST", f"{C}/knock/{q(room)}", other, json={"reason": 5})
    assert reply.status == 400
