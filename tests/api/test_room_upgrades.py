"""Room upgrades (client-server API: room upgrades): POST /rooms/{roomId}/upgrade."""

from __future__ import annotations

from typing import Any

import pytest

from tests.client import Api, C, User, q


async def upgrade(api: Api, user: User, room: str, version: str = "12") -> str:
    body = await api.ok("POST", f"{C}/rooms/{q(room)}/upgrade", user, json={"new_version": version})
    return str(body["replacement_room"])


async def state_of(api: Api, user: User, room: str) -> dict[tuple[str, str], dict[str, Any]]:
    events = await api.ok("GET", f"{C}/rooms/{q(room)}/state", user)
    return {(e["type"], e["state_key"]): e for e in events}


@pytest.mark.parametrize("versions", [("12", "12"), ("10", "12"), ("12", "11"), ("11", "10")])
async def test_upgrade_creates_a_replacement_with_the_rooms_state(api: Api, versions: tuple[str, str]) -> None:
    old_version, new_version = versions
    owner, member, banned = await api.register(), await api.register(), await api.register()
    alias_name = "up" + owner.user_id[2:10]
    room = await api.create_room(
        owner,
        room_version=old_version,
        visibility="public",
        preset="public_chat",
        name="Committee",
        topic="Budget",
        room_alias_name=alias_name,
        creation_content={"type": "org.example.kind"},
    )
    alias = f"#{alias_name}:localhost"
    await api.join(member, room)
    for event_type, content in (
        ("m.room.avatar", {"url": "mxc://localhost/avatar"}),
        ("m.room.history_visibility", {"history_visibility": "world_readable"}),
        ("m.room.guest_access", {"guest_access": "can_join"}),
        ("m.room.server_acl", {"allow": ["*"], "deny": ["evil.example"], "allow_ip_literals": False}),
        ("m.room.encryption", {"algorithm": "m.megolm.v1.aes-sha2"}),
    ):
        await api.ok("PUT", f"{C}/rooms/{q(room)}/state/{event_type}/", owner, json=content)
    levels = await api.ok("GET", f"{C}/rooms/{q(room)}/state/m.room.power_levels/", owner)
    levels["users"][member.user_id] = 42
    levels["events"]["org.example.custom"] = 77
    levels["users"]["@test:elsewhere.example"] = 40
    await api.ok("PUT", f"{C}/rooms/{q(room)}/state/m.room.power_levels/", owner, json=levels)
    await api.ok("POST", f"{C}/rooms/{q(room)}/ban", owner, json={"user_id": banned.user_id, "reason": "spam"})
    old_state = await state_of(api, owner, room)

    new_room = await upgrade(api, owner, room, new_version)
    assert new_room != room
    new_state = await state_of(api, owner, new_room)
    create = new_state[("m.room.create", "")]["content"]
    assert create["room_version"] == new_version
    tombstone = (await state_of(api, owner, room))[("m.room.tombstone", "")]
    if new_version == "12":
        assert create["predecessor"] == {"room_id": room}, "a v12 room ID derives from its create event"
    else:
        assert create["predecessor"] == {"room_id": room, "event_id": tombstone["event_id"]}
    assert create["type"] == "org.example.kind"
    for key in (
        ("m.room.name", ""),
        ("m.room.topic", ""),
        ("m.room.avatar", ""),
        ("m.room.join_rules", ""),
        ("m.room.history_visibility", ""),
        ("m.room.guest_access", ""),
        ("m.room.server_acl", ""),
        ("m.room.encryption", ""),
    ):
        assert new_state[key]["content"] == old_state[key]["content"], key
    new_levels = new_state[("m.room.power_levels", "")]["content"]
    if old_version != "12" and new_version != "12":
        assert new_levels == levels, "the old room's levels, exactly"
    assert new_levels["users"][member.user_id] == 42 and new_levels["events"]["org.example.custom"] == 77
    if new_version == "12":
        assert owner.user_id not in new_levels["users"], "v12 creators are not listed"
    else:
        assert new_levels["users"][owner.user_id] == 100
    assert new_state[("m.room.member", banned.user_id)]["content"]["membership"] == "ban"
    assert ("m.room.member", member.user_id) not in new_state, "members join the new room themselves"
    assert new_state[("m.room.canonical_alias", "")]["content"]["alias"] == alias

    # The old room: tombstoned, quietened, its alias and directory entry moved.
    retired = await state_of(api, owner, room)
    assert retired[("m.room.tombstone", "")]["content"]["replacement_room"] == new_room
    old_levels = retired[("m.room.power_levels", "")]["content"]
    assert old_levels["events_default"] >= 50 and old_levels["invite"] >= 50
    assert retired[("m.room.canonical_alias", "")]["content"] == {}
    assert (await api.ok("GET", f"{C}/directory/room/{q(alias)}", owner))["room_id"] == new_room
    assert (await api.ok("GET", f"{C}/directory/list/room/{q(new_room)}", owner))["visibility"] == "public"
    assert (await api.ok("GET", f"{C}/directory/list/room/{q(room)}", owner))["visibility"] == "private"
    reply = await api.request("PUT", f"{C}/rooms/{q(room)}/send/m.room.message/t1", member, json={"body": "x"})
    assert (reply.status, reply.errcode) == (403, "M_FORBIDDEN"), "ordinary members can no longer talk there"
    await api.join(member, new_room)
    await api.send(member, new_room, "continuing here")


async def test_upgrade_refusals(api: Api) -> None:
    owner, member, outsider = await api.register(), await api.register(), await api.register()
    room = await api.create_room(owner, preset="public_chat")
    await api.join(member, room)
    reply = await api.request("POST", f"{C}/rooms/{q(room)}/upgrade", owner, json={"new_version": "my-version"})
    assert (reply.status, reply.errcode) == (400, "M_UNSUPPORTED_ROOM_VERSION")
    reply = await api.request("POST", f"{C}/rooms/{q(room)}/upgrade", owner, json={})
    assert (reply.status, reply.errcode) == (400, "M_MISSING_PARAM")
    reply = await api.request("POST", f"{C}/rooms/{q(room)}/upgrade", owner, json={"new_version": 12})
    assert (reply.status, reply.errcode) == (400, "M_BAD_JSON")
    for user in (member, outsider):
        reply = await api.request("POST", f"{C}/rooms/{q(room)}/upgrade", user, json={"new_version": "12"})
        assert (reply.status, reply.errcode) == (403, "M_FORBIDDEN"), user
    reply = await api.request("POST", f"{C}/rooms/{q('!bogus:localhost')}/upgrade", owner, json={"new_version": "12"})
    assert (reply.status, reply.errcode) == (404, "M_NOT_FOUND")
    assert ("m.room.tombstone", "") not in await state_of(api, owner, room)
    reply = await api.request(
        "PUT", f"{C}/rooms/{q(room)}/state/m.room.tombstone/", owner, json={"replacement_room": room, "body": "x"}
    )
    assert reply.status == 400, "a room cannot replace itself"


async def test_a_members_tags_direct_mark_and_push_rules_follow_them(api: Api) -> None:
    owner, member = await api.register(), await api.register()
    room = await api.create_room(owner, preset="public_chat")
    await api.join(member, room)
    for user in (owner, member):
        await api.ok("PUT", f"{C}/user/{q(user.user_id)}/rooms/{q(room)}/tags/u.work", user, json={"order": 0.25})
        await api.ok("PUT", f"{C}/user/{q(user.user_id)}/account_data/m.direct", user, json={"@x:localhost": [room]})
        await api.ok("PUT", f"{C}/pushrules/global/room/{q(room)}", user, json={"actions": ["notify"]})
    new_room = await upgrade(api, owner, room)
    await api.join(member, new_room)
    for user in (owner, member):
        tags = await api.ok("GET", f"{C}/user/{q(user.user_id)}/rooms/{q(new_room)}/tags", user)
        assert tags == {"tags": {"u.work": {"order": 0.25}}}
        direct = await api.ok("GET", f"{C}/user/{q(user.user_id)}/account_data/m.direct", user)
        assert direct == {"@x:localhost": [room, new_room]}
        rule = await api.ok("GET", f"{C}/pushrules/global/room/{q(new_room)}", user)
        assert rule["actions"] == ["notify"]


async def test_upgrade_keeps_state_the_upgrader_can_no_longer_set_and_is_one_step_in_sync(api: Api) -> None:
    owner = await api.register()
    room = await api.create_room(owner, room_version="10", name="Restricted", topic="Locked down")
    levels = await api.ok("GET", f"{C}/rooms/{q(room)}/state/m.room.power_levels/", owner)
    for event_type in ("m.room.name", "m.room.topic", "m.room.join_rules", "m.room.history_visibility"):
        levels["events"][event_type] = 80
    levels["users"][owner.user_id] = 90
    levels["events"]["m.room.tombstone"] = 90
    await api.ok("PUT", f"{C}/rooms/{q(room)}/state/m.room.power_levels/", owner, json=levels)
    since = (await api.sync(owner))["next_batch"]

    new_room = await upgrade(api, owner, room, "10")
    sync = await api.sync(owner, since=since)
    timeline = sync["rooms"]["join"][new_room]["timeline"]["events"]
    assert timeline[0]["type"] == "m.room.create" and timeline[0]["content"]["room_version"] == "10"
    assert [e["type"] for e in timeline].count("m.room.power_levels") == 2
    assert timeline[-1]["type"] == "m.room.power_levels" and timeline[-1]["content"] == levels
    copied = {e["type"]: e["content"] for e in timeline}
    assert copied["m.room.name"] == {"name": "Restricted"} and copied["m.room.topic"] == {"topic": "Locked down"}
    old_timeline = sync["rooms"]["join"][room]["timeline"]["events"]
    assert old_timeline[0]["type"] == "m.room.tombstone"
    assert timeline[0]["content"]["predecessor"]["event_id"] == old_timeline[0]["event_id"]
    retired = await api.ok("GET", f"{C}/rooms/{q(room)}/state/m.room.power_levels/", owner)
    assert retired == levels, "below the level to change them, the old room's levels stay as they were"


async def test_unusual_old_levels_are_quietened_above_the_default_user(api: Api) -> None:
    owner = await api.register()
    room = await api.create_room(owner, room_version="10")
    levels = await api.ok("GET", f"{C}/rooms/{q(room)}/state/m.room.power_levels/", owner)
    levels["users_default"] = 80
    await api.ok("PUT", f"{C}/rooms/{q(room)}/state/m.room.power_levels/", owner, json=levels)
    await upgrade(api, owner, room, "10")
    retired = await api.ok("GET", f"{C}/rooms/{q(room)}/state/m.room.power_levels/", owner)
    assert (retired["events_default"], retired["invite"]) == (81, 81)
