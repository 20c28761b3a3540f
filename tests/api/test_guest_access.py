"""Guest access (client-server API: guest access), off by default, and the public room list without a
token when the operator allows it ([access] guest_access, public_rooms_without_token)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.client import Api, C, User, q
from tests.conftest import ENGINES, cleanup_server, start_configured_server
from tests.serverproc import ServerProcess


@pytest.fixture(scope="module", params=ENGINES)
def open_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    tmp = tmp_path_factory.mktemp(f"guests-{request.param}")
    proc = start_configured_server(
        tmp, request.param, "[access]\nguest_access = true\npublic_rooms_without_token = true\n"
    )
    yield proc
    cleanup_server(proc)


@pytest.fixture
async def guests(open_server: ServerProcess) -> AsyncIterator[Api]:
    client = Api(open_server.base_url)
    yield client
    await client.close()


async def register_guest(api: Api) -> User:
    body = await api.ok("POST", C + "/register", params={"kind": "guest"}, json={})
    assert body["user_id"].startswith("@") and body["access_token"] and body["device_id"]
    return User(body["user_id"], body["access_token"], body["device_id"], "")


async def guest_room(api: Api, owner: User, guest_access: str = "can_join", **extra: Any) -> str:
    room = await api.create_room(owner, preset="public_chat", **extra)
    await api.ok("PUT", f"{C}/rooms/{q(room)}/state/m.room.guest_access/", owner, json={"guest_access": guest_access})
    return room


async def test_guests_and_tokenless_room_lists_are_off_by_default(api: Api) -> None:
    reply = await api.request("POST", C + "/register", params={"kind": "guest"}, json={})
    assert (reply.status, reply.errcode) == (403, "M_GUEST_ACCESS_FORBIDDEN")
    for method in ("GET", "POST"):
        reply = await api.request(method, C + "/publicRooms", json={} if method == "POST" else None)
        assert (reply.status, reply.errcode) == (401, "M_MISSING_TOKEN")
    user = await api.register()
    assert "chunk" in await api.ok("GET", C + "/publicRooms", user)


async def test_public_room_list_without_a_token_when_allowed(guests: Api) -> None:
    owner = await guests.register()
    room = await guests.create_room(owner, visibility="public", name="Open to all")
    listed = await guests.ok("GET", C + "/publicRooms")
    assert room in [r["room_id"] for r in listed["chunk"]]
    found = await guests.ok("POST", C + "/publicRooms", json={"filter": {"generic_search_term": "open to"}})
    assert room in [r["room_id"] for r in found["chunk"]]
    reply = await guests.request("GET", C + "/publicRooms", User("@x:localhost", "bogus", "D", ""))
    assert (reply.status, reply.errcode) == (401, "M_UNKNOWN_TOKEN"), "a bad token is still refused"


async def test_guest_session_whoami_and_no_display_name(guests: Api) -> None:
    guest = await register_guest(guests)
    who = await guests.ok("GET", C + "/account/whoami", guest)
    assert who == {"user_id": guest.user_id, "device_id": guest.device_id, "is_guest": True}
    profile = await guests.ok("GET", f"{C}/profile/{q(guest.user_id)}", guest)
    assert "displayname" not in profile


async def test_guests_join_only_rooms_that_allow_them_and_may_talk_there(guests: Api) -> None:
    owner, guest = await guests.register(), await register_guest(guests)
    closed = await guests.create_room(owner, preset="public_chat")
    reply = await guests.request("POST", f"{C}/rooms/{q(closed)}/join", guest, json={})
    assert (reply.status, reply.errcode) == (403, "M_FORBIDDEN")

    room = await guest_room(guests, owner)
    await guests.ok("POST", f"{C}/join/{q(room)}", guest, json={})
    event_id = await guests.send(guest, room, "sup")
    messages = await guests.ok("GET", f"{C}/rooms/{q(room)}/messages", owner, params={"limit": "1"})
    assert messages["chunk"][0]["event_id"] == event_id and messages["chunk"][0]["sender"] == guest.user_id
    sync = await guests.sync(guest)
    assert room in sync["rooms"]["join"]
    await guests.ok("PUT", f"{C}/profile/{q(guest.user_id)}/displayname", guest, json={"displayname": "creeper"})
    member = await guests.ok("GET", f"{C}/rooms/{q(room)}/state/m.room.member/{q(guest.user_id)}", guest)
    assert member["displayname"] == "creeper"


async def test_guests_cannot_use_the_rest_of_the_api(guests: Api) -> None:
    guest = await register_guest(guests)
    forbidden_calls: list[tuple[str, str, Any]] = [
        ("POST", C + "/createRoom", {}),
        ("GET", C + "/joined_rooms", None),
        ("POST", C + "/user_directory/search", {"search_term": "a"}),
        ("PUT", f"{C}/profile/{q(guest.user_id)}/avatar_url", {"avatar_url": "mxc://localhost/abc"}),
        ("PUT", f"{C}/user/{q(guest.user_id)}/account_data/x.y", {}),
    ]
    for method, path, body in forbidden_calls:
        reply = await guests.request(method, path, guest, json=body)
        assert (reply.status, reply.errcode) == (403, "M_GUEST_ACCESS_FORBIDDEN"), (path, reply)
    reply = await guests.request("GET", C + "/events", guest, params={"timeout": "0"})
    assert reply.status == 400, "guests read the event stream of one room only"


async def test_guests_are_removed_when_guest_access_is_revoked(guests: Api) -> None:
    owner, guest, member = await guests.register(), await register_guest(guests), await guests.register()
    room = await guest_room(guests, owner)
    await guests.join(guest, room)
    await guests.join(member, room)
    await guests.ok("PUT", f"{C}/rooms/{q(room)}/state/m.room.guest_access/", owner, json={"guest_access": "forbidden"})
    guest_member = await guests.ok("GET", f"{C}/rooms/{q(room)}/state/m.room.member/{q(guest.user_id)}", owner)
    assert guest_member["membership"] == "leave"
    other = await guests.ok("GET", f"{C}/rooms/{q(room)}/state/m.room.member/{q(member.user_id)}", owner)
    assert other["membership"] == "join"


async def test_guests_preview_world_readable_rooms(guests: Api) -> None:
    owner, guest = await guests.register(), await register_guest(guests)
    room = await guest_room(guests, owner, guest_access="forbidden")
    visibility = {"history_visibility": "world_readable"}
    await guests.ok("PUT", f"{C}/rooms/{q(room)}/state/m.room.history_visibility/", owner, json=visibility)
    await guests.send(owner, room, "hello lurkers")
    preview = await guests.ok("GET", f"{C}/rooms/{q(room)}/initialSync", guest)
    token = preview["messages"]["end"]
    assert "hello lurkers" in [e["content"].get("body") for e in preview["messages"]["chunk"]]
    # Polling does not spin: a caught-up stream comes back empty.
    for _ in range(5):
        body = await guests.ok("GET", C + "/events", guest, params={"room_id": room, "timeout": "0", "from": token})
        token = body["end"]
        if not body["chunk"]:
            break
    assert body["chunk"] == []
    messages = await guests.ok("GET", f"{C}/rooms/{q(room)}/messages", guest, params={"dir": "b"})
    assert messages["chunk"]


async def test_a_guest_upgrades_to_a_full_account(guests: Api) -> None:
    owner, guest = await guests.register(), await register_guest(guests)
    room = await guest_room(guests, owner)
    await guests.join(guest, room)
    localpart = guest.user_id[1:].split(":")[0]
    body = {"username": localpart, "password": "a new password", "guest_access_token": guest.token}
    reply = await guests.request("POST", C + "/register", json=body)
    assert reply.status == 401 and "session" in reply.body, "the usual registration flows apply"
    done = await guests.ok("POST", C + "/register", json={**body, "auth": {"type": "m.login.dummy"}})
    assert done["user_id"] == guest.user_id
    upgraded = User(done["user_id"], done["access_token"], done["device_id"], "a new password")
    who = await guests.ok("GET", C + "/account/whoami", upgraded)
    assert who["is_guest"] is False
    old = await guests.ok("GET", C + "/account/whoami", guest)
    assert old["is_guest"] is False, "the guest's own session became a full one too"
    assert room in (await guests.ok("GET", C + "/joined_rooms", upgraded))["joined_rooms"]
    await guests.create_room(upgraded)
    await guests.login(upgraded)


async def test_a_guest_token_upgrades_only_its_own_account(guests: Api) -> None:
    first, second, user = await register_guest(guests), await register_guest(guests), await guests.register()
    for token, name in ((second.token, first.user_id[1:].split(":")[0]), (user.token, user.user_id[1:].split(":")[0])):
        body = {"username": name, "password": "pw", "guest_access_token": token, "auth": {"type": "m.login.dummy"}}
        reply = await guests.request("POST", C + "/register", json=body)
        assert (reply.status, reply.errcode) == (403, "M_FORBIDDEN"), reply
    assert (await guests.ok("GET", C + "/account/whoami", first))["is_guest"] is True


@pytest.mark.parametrize("engine", ENGINES)
async def test_turning_guest_access_off_ends_guest_sessions(tmp_path: Path, engine: str) -> None:
    # Server processes and databases are set up from a thread: their helpers run an event loop of their own.
    first = await asyncio.to_thread(start_configured_server, tmp_path, engine, "[access]\nguest_access = true\n")
    try:
        api = Api(first.base_url)
        guest = await register_guest(api)
        await api.close()
    finally:
        first.stop()
    (tmp_path / "data" / "chancery.toml").write_text("[access]\nguest_access = false\n", encoding="utf-8")
    second = ServerProcess(first.data_dir, engine, ["--no-rate-limits"], database=first.database).start()
    try:
        api = Api(second.base_url)
        reply = await api.request("GET", C + "/account/whoami", guest)
        assert (reply.status, reply.errcode) == (403, "M_GUEST_ACCESS_FORBIDDEN")
        await api.close()
    finally:
        await asyncio.to_thread(cleanup_server, second)
