"""Room aliases: a room advertises only its own aliases (m.room.canonical_alias), and deleting an alias or
publishing a room in the directory takes current membership as well as power (client-server API: room
aliases, listing rooms, m.room.canonical_alias). Server administrators may always."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path
from typing import Any

from tests.client import Api, C, User, q
from tests.serverproc import ServerProcess


async def make_admin(api: Api, server: ServerProcess, tmp_path: Path) -> User:
    name = "admin" + secrets.token_hex(4)
    password = tmp_path / "admin-password"
    password.write_text("admin password\n")
    await asyncio.to_thread(server.run_cli, "user", "create", name, "--password-file", str(password), "--admin")
    return await api.login(User(f"@{name}:localhost", "", "", "admin password"))


async def new_alias(api: Api, user: User, room: str) -> str:
    alias = f"#a{secrets.token_hex(5)}:localhost"
    await api.ok("PUT", f"{C}/directory/room/{q(alias)}", user, json={"room_id": room})
    return alias


async def set_canonical(api: Api, user: User, room: str, content: dict[str, Any]) -> tuple[int, str | None]:
    reply = await api.request("PUT", f"{C}/rooms/{q(room)}/state/m.room.canonical_alias", user, json=content)
    return reply.status, reply.errcode


async def test_canonical_alias_names_only_existing_aliases_of_the_room(api: Api) -> None:
    alice = await api.register()
    room, other = await api.create_room(alice), await api.create_room(alice)
    own, foreign = await new_alias(api, alice, room), await new_alias(api, alice, other)
    missing = f"#missing{secrets.token_hex(4)}:localhost"
    refused = [
        ({"alias": foreign}, "M_BAD_ALIAS"),
        ({"alias": missing}, "M_BAD_ALIAS"),
        ({"alias": "#x:elsewhere.example"}, "M_BAD_ALIAS"),
        ({"alias": own, "alt_aliases": [own, foreign]}, "M_BAD_ALIAS"),
        ({"alt_aliases": [missing]}, "M_BAD_ALIAS"),
        ({"alias": "not an alias"}, "M_INVALID_PARAM"),
        ({"alias": 5}, "M_INVALID_PARAM"),
        ({"alt_aliases": own}, "M_INVALID_PARAM"),
        ({"alt_aliases": ["#nocolon"]}, "M_INVALID_PARAM"),
    ]
    for content, errcode in refused:
        assert await set_canonical(api, alice, room, content) == (400, errcode), content
    assert await set_canonical(api, alice, room, {"alias": own, "alt_aliases": [own]}) == (200, None)
    state = await api.ok("GET", f"{C}/rooms/{q(room)}/state/m.room.canonical_alias", alice)
    assert state == {"alias": own, "alt_aliases": [own]}
    # An advertised alias deleted since does not block other changes, and removing fields is always allowed.
    second = await new_alias(api, alice, room)
    assert await set_canonical(api, alice, room, {"alias": own, "alt_aliases": [own, second]}) == (200, None)
    await api.ok("DELETE", f"{C}/directory/room/{q(second)}", alice)
    assert await set_canonical(api, alice, room, {"alias": own, "alt_aliases": [second]}) == (200, None)
    assert await set_canonical(api, alice, room, {"alias": None}) == (200, None)
    assert await set_canonical(api, alice, room, {"alias": ""}) == (200, None)
    assert await set_canonical(api, alice, room, {}) == (200, None)


async def test_create_room_initial_state_canonical_alias_is_checked(api: Api) -> None:
    alice = await api.register()
    other = await api.create_room(alice)
    foreign = await new_alias(api, alice, other)
    before = set((await api.ok("GET", C + "/joined_rooms", alice))["joined_rooms"])
    entry = {"type": "m.room.canonical_alias", "state_key": "", "content": {"alias": foreign}}
    reply = await api.request("POST", C + "/createRoom", alice, json={"initial_state": [entry]})
    assert (reply.status, reply.errcode) == (400, "M_BAD_ALIAS")
    assert set((await api.ok("GET", C + "/joined_rooms", alice))["joined_rooms"]) == before
    # The room's own alias, created with it, is fine.
    name = "own" + secrets.token_hex(4)
    room = await api.create_room(alice, room_alias_name=name)
    state = await api.ok("GET", f"{C}/rooms/{q(room)}/state/m.room.canonical_alias", alice)
    assert state["alias"] == f"#{name}:localhost"


async def test_deleting_an_alias_takes_membership_as_well_as_creatorship_or_power(
    api: Api, server: ServerProcess, tmp_path: Path
) -> None:
    alice, bob, carol, dave = [await api.register() for _ in range(4)]
    room = await api.create_room(alice, preset="public_chat")
    for user in (bob, carol, dave):
        await api.join(user, room)
    power = await api.ok("GET", f"{C}/rooms/{q(room)}/state/m.room.power_levels/", alice)
    power["users"] = {**power.get("users", {}), carol.user_id: 100}
    await api.ok("PUT", f"{C}/rooms/{q(room)}/state/m.room.power_levels/", alice, json=power)
    bobs, alices = await new_alias(api, bob, room), await new_alias(api, alice, room)
    # Joined: the creator may, a member without power may not, a member with power may.
    assert (await api.request("DELETE", f"{C}/directory/room/{q(alices)}", dave)).status == 403
    await api.ok("DELETE", f"{C}/directory/room/{q(bobs)}", bob)
    await api.ok("DELETE", f"{C}/directory/room/{q(alices)}", carol)
    # Left: neither the creator nor a user whose power level outlived their membership may.
    bobs, alices = await new_alias(api, bob, room), await new_alias(api, alice, room)
    for user in (bob, carol):
        await api.ok("POST", f"{C}/rooms/{q(room)}/leave", user, json={})
    for user, alias in ((bob, bobs), (carol, alices)):
        reply = await api.request("DELETE", f"{C}/directory/room/{q(alias)}", user)
        assert (reply.status, reply.errcode) == (403, "M_FORBIDDEN"), (user.user_id, reply)
    assert (await api.ok("GET", f"{C}/directory/room/{q(bobs)}", alice))["room_id"] == room
    # A server administrator may, in or out of the room.
    admin = await make_admin(api, server, tmp_path)
    await api.ok("DELETE", f"{C}/directory/room/{q(bobs)}", admin)
    assert (await api.request("GET", f"{C}/directory/room/{q(bobs)}", alice)).status == 404


async def test_publishing_a_room_takes_membership_as_well_as_power(
    api: Api, server: ServerProcess, tmp_path: Path
) -> None:
    alice, carol, dave = [await api.register() for _ in range(3)]
    room = await api.create_room(alice, preset="public_chat")
    for user in (carol, dave):
        await api.join(user, room)
    power = await api.ok("GET", f"{C}/rooms/{q(room)}/state/m.room.power_levels/", alice)
    power["users"] = {**power.get("users", {}), carol.user_id: 100}
    await api.ok("PUT", f"{C}/rooms/{q(room)}/state/m.room.power_levels/", alice, json=power)
    listing = f"{C}/directory/list/room/{q(room)}"
    assert (await api.request("PUT", listing, dave, json={"visibility": "public"})).status == 403
    await api.ok("PUT", listing, carol, json={"visibility": "public"})
    await api.ok("POST", f"{C}/rooms/{q(room)}/leave", carol, json={})
    reply = await api.request("PUT", listing, carol, json={"visibility": "private"})
    assert (reply.status, reply.errcode) == (403, "M_FORBIDDEN")
    assert (await api.ok("GET", listing, alice))["visibility"] == "public"
    admin = await make_admin(api, server, tmp_path)
    await api.ok("PUT", listing, admin, json={"visibility": "private"})
    assert (await api.ok("GET", listing, alice))["visibility"] == "private"
