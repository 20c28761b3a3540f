"""The Synapse-compatible admin API, with the requests synapse-admin sends and the fields it reads
(Awesome-Technologies/synapse-admin, src/synapse/dataProvider.ts): users, devices, sessions, rooms,
room deletion, blocking, media, registration tokens and event reports; non-administrators refused everywhere."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from chancery.api.routes import synapse_admin_routes
from chancery.http.routing import Route
from tests.api.test_media import upload
from tests.client import Api, C, User, q
from tests.conftest import ENGINES
from tests.directory.helpers import audit_entries
from tests.own_server import RELAXED, client_of, own_server
from tests.security.test_aliases import make_admin
from tests.security.test_bad_input import BAD_QUERIES, HOSTILE_VALUES, IMPLAUSIBLE, MALFORMED_BODIES, PARAM, check
from tests.serverproc import ServerProcess

SA1 = "/_synapse/admin/v1"
SA2 = "/_synapse/admin/v2"

USER_LIST_FIELDS = {
    "name",
    "user_type",
    "is_guest",
    "admin",
    "deactivated",
    "erased",
    "shadow_banned",
    "displayname",
    "avatar_url",
    "creation_ts",
    "approved",
    "locked",
    "last_seen_ts",
}
ROOM_LIST_FIELDS = {
    "room_id",
    "name",
    "canonical_alias",
    "joined_members",
    "joined_local_members",
    "version",
    "creator",
    "encryption",
    "federatable",
    "public",
    "join_rules",
    "guest_access",
    "history_visibility",
    "state_events",
    "room_type",
}


_admins: dict[str, User] = {}  # one per server: creating one (the CLI, password hashing) is the slow part


@pytest.fixture
async def admin(api: Api, server: ServerProcess, tmp_path: Path) -> User:
    if server.base_url not in _admins:
        _admins[server.base_url] = await make_admin(api, server, tmp_path)
    return _admins[server.base_url]


def _filled(path: str) -> str:
    values = {
        "user_id": q("@someone:localhost"),
        "room_id": q("!nowhere:localhost"),
        "device_id": "DEVICE",
        "delete_id": "abc",
        "server_name": "localhost",
        "media_id": "media",
        "token": "tok",
        "report_id": "1",
        "txn_id": "txn",
    }
    for key, value in values.items():
        path = path.replace("{" + key + "}", value)
    return path


async def test_every_admin_route_refuses_others(api: Api) -> None:
    user = await api.register()
    routes = [r for r in synapse_admin_routes() if r.auth == "admin"]
    assert len(routes) >= 40
    for route in routes:
        body = {} if route.method in ("POST", "PUT", "DELETE") else None
        refused = await api.request(route.method, _filled(route.path), user, json=body)
        assert (refused.status, refused.errcode) == (403, "M_FORBIDDEN"), (route.method, route.path, refused)
        anonymous = await api.request(route.method, _filled(route.path), json=body)
        assert (anonymous.status, anonymous.errcode) == (401, "M_MISSING_TOKEN"), (route.path, anonymous)


async def test_server_version_is_what_synapse_admin_reads_before_login(api: Api) -> None:
    body = await api.ok("GET", SA1 + "/server_version")
    assert body["server_version"].startswith("Chancery ")
    # synapse-admin runs in a browser, from another origin: the preflight of an admin call is answered
    preflight = {"Origin": "https://admin.example", "Access-Control-Request-Method": "PUT"}
    async with api.session.options(f"{api.base_url}{SA2}/users/{q('@x:localhost')}", headers=preflight) as reply:
        assert reply.status == 204
        assert reply.headers["Access-Control-Allow-Origin"] == "*"
        assert "Authorization" in reply.headers["Access-Control-Allow-Headers"]


# -- users ------------------------------------------------------------------------------------------


async def test_users_are_listed_paged_ordered_and_filtered(api: Api, admin: User) -> None:
    tag = "ls" + secrets.token_hex(3)
    users = [await api.register(f"{tag}{letter}") for letter in "abc"]
    await api.ok("PUT", f"{C}/profile/{q(users[1].user_id)}/displayname", users[1], json={"displayname": "Zed"})

    # synapse-admin's first page: from, limit, name, guests, deactivated, order_by, dir
    query = {"from": "0", "limit": "2", "name": tag, "guests": "false", "deactivated": "false", "order_by": "name"}
    first = await api.ok("GET", SA2 + "/users", admin, params={**query, "dir": "f"})
    assert first["total"] == 3
    assert first["next_token"] == "2"
    assert [u["name"] for u in first["users"]] == [users[0].user_id, users[1].user_id]
    assert set(first["users"][0]) == USER_LIST_FIELDS
    entry = first["users"][0]
    assert (entry["admin"], entry["is_guest"], entry["deactivated"], entry["locked"]) == (0, 0, 0, False)
    assert 1_700_000_000 < entry["creation_ts"] < 10_000_000_000  # seconds, as synapse-admin multiplies by 1000
    second = await api.ok("GET", SA2 + "/users", admin, params={**query, "from": "2", "dir": "f"})
    assert [u["name"] for u in second["users"]] == [users[2].user_id]
    assert "next_token" not in second

    backwards = await api.ok("GET", SA2 + "/users", admin, params={**query, "limit": "10", "dir": "b"})
    assert [u["name"] for u in backwards["users"]] == [u.user_id for u in reversed(users)]
    # every column synapse-admin's user list sorts by
    for column in ("name", "displayname", "is_guest", "admin", "deactivated", "locked", "creation_ts", "avatar_url"):
        await api.ok("GET", SA2 + "/users", admin, params={**query, "order_by": column, "dir": "b"})
    by_display_name = await api.ok("GET", SA2 + "/users", admin, params={"name": "zed"})
    assert [u["name"] for u in by_display_name["users"]] == [users[1].user_id]

    await api.ok("POST", f"{SA1}/deactivate/{q(users[0].user_id)}", admin, json={"erase": False})
    active = await api.ok("GET", SA2 + "/users", admin, params={"name": tag})
    assert active["total"] == 2
    everyone = await api.ok("GET", SA2 + "/users", admin, params={"name": tag, "deactivated": "true"})
    assert everyone["total"] == 3

    for bad in ({"order_by": "shoe_size"}, {"dir": "sideways"}, {"limit": "-1"}, {"guests": "maybe"}):
        reply = await api.request("GET", SA2 + "/users", admin, params=bad)
        assert (reply.status, reply.errcode) == (400, "M_INVALID_PARAM"), bad


async def test_create_modify_reset_password_and_reactivate(api: Api, admin: User) -> None:
    user_id = f"@new{secrets.token_hex(4)}:localhost"
    path = f"{SA2}/users/{q(user_id)}"
    created = await api.request("PUT", path, admin, json={"password": "first password", "displayname": "Ada"})
    assert created.status == 201, created
    assert created.body["name"] == user_id and created.body["displayname"] == "Ada"
    assert created.body["threepids"] == [] and created.body["external_ids"] == []
    person = await api.login(User(user_id, "", "", "first password"))

    # synapse-admin's edit form sends the whole record back, flags as booleans and its own fields added
    record = await api.ok("GET", path, admin)
    edited = {**record, "id": user_id, "is_guest": False, "deactivated": False, "creation_ts_ms": 1}
    edited.update({"displayname": "Ada Lovelace", "admin": True})
    modified = await api.request("PUT", path, admin, json=edited)
    assert modified.status == 200, modified
    assert (modified.body["displayname"], modified.body["admin"]) == ("Ada Lovelace", 1)
    assert await api.ok("GET", f"{SA1}/users/{q(user_id)}/admin", admin) == {"admin": True}
    assert (await api.ok("GET", f"{C}/profile/{q(user_id)}", person))["displayname"] == "Ada Lovelace"
    # the cached token now carries the admin flag: the person may use the admin API at once
    await api.ok("GET", f"{SA2}/users/{q(user_id)}", person)
    await api.ok("PUT", f"{SA1}/users/{q(user_id)}/admin", admin, json={"admin": False})
    assert (await api.request("GET", f"{SA2}/users/{q(user_id)}", person)).status == 403

    await api.ok("PUT", path, admin, json={"password": "second password", "logout_devices": True})
    assert (await api.request("GET", C + "/account/whoami", person)).errcode == "M_UNKNOWN_TOKEN"
    person = await api.login(User(user_id, "", "", "second password"))

    await api.ok("PUT", path, admin, json={"deactivated": True})
    assert (await api.request("GET", C + "/account/whoami", person)).status == 401
    missing = await api.request("PUT", path, admin, json={"deactivated": False})
    assert (missing.status, missing.errcode) == (400, "M_MISSING_PARAM")
    back = await api.ok("PUT", path, admin, json={"deactivated": False, "password": "third password"})
    assert back["deactivated"] == 0
    await api.login(User(user_id, "", "", "third password"))

    for bad in ({"admin": "yes"}, {"threepids": [{"medium": "email", "address": "a@b.c"}]}, {"locked": True}):
        reply = await api.request("PUT", path, admin, json=bad)
        assert (reply.status, reply.errcode) == (400, "M_INVALID_PARAM"), bad
    elsewhere = await api.request("PUT", f"{SA2}/users/{q('@x:elsewhere.example')}", admin, json={})
    assert elsewhere.status == 400
    unknown = await api.request("GET", f"{SA2}/users/{q('@nobody-' + secrets.token_hex(4) + ':localhost')}", admin)
    assert (unknown.status, unknown.errcode) == (404, "M_NOT_FOUND")


async def test_deactivate_with_erase_removes_the_person_everywhere(api: Api, admin: User) -> None:
    user = await api.register()
    room = await api.create_room(user, name="Erased")
    reply = await api.ok("POST", f"{SA1}/deactivate/{q(user.user_id)}", admin, json={"erase": True})
    assert reply == {"id_server_unbind_result": "success"}
    assert (await api.request("GET", C + "/account/whoami", user)).status == 401
    details = await api.ok("GET", f"{SA2}/users/{q(user.user_id)}", admin)
    assert (details["deactivated"], details["erased"]) == (1, True)
    assert await api.ok("GET", f"{SA1}/users/{q(user.user_id)}/joined_rooms", admin) == {
        "joined_rooms": [],
        "total": 0,
    }
    assert (await api.ok("GET", f"{SA1}/rooms/{q(room)}/members", admin))["members"] == []


async def test_devices_sessions_rooms_and_pushers(api: Api, admin: User) -> None:
    user = await api.register()
    second = await api.login(user, device_id="SECOND")
    third = await api.login(user, device_id="THIRD")
    await api.ok("GET", C + "/account/whoami", second)
    room = await api.create_room(user)
    base = f"{SA2}/users/{q(user.user_id)}"

    devices = await api.ok("GET", base + "/devices", admin)
    assert devices["total"] == 3
    assert {d["device_id"] for d in devices["devices"]} == {user.device_id, "SECOND", "THIRD"}
    assert all(d["user_id"] == user.user_id for d in devices["devices"])
    assert set(devices["devices"][0]) >= {"device_id", "display_name", "last_seen_ip", "last_seen_ts", "user_id"}
    await api.ok("PUT", base + "/devices/SECOND", admin, json={"display_name": "Desk phone"})
    assert (await api.ok("GET", base + "/devices/SECOND", admin))["display_name"] == "Desk phone"
    assert (await api.request("GET", base + "/devices/NOPE", admin)).status == 404

    await api.ok("DELETE", base + "/devices/SECOND", admin)
    assert (await api.request("GET", C + "/account/whoami", second)).status == 401
    await api.ok("POST", base + "/delete_devices", admin, json={"devices": ["THIRD", "NOT-THERE"]})
    assert (await api.request("GET", C + "/account/whoami", third)).status == 401
    assert (await api.ok("GET", base + "/devices", admin))["total"] == 1

    whois = await api.ok("GET", f"{SA1}/whois/{q(user.user_id)}", admin)
    assert whois["user_id"] == user.user_id
    connections = whois["devices"][user.device_id]["sessions"][0]["connections"]
    assert all(set(c) <= {"ip", "last_seen", "user_agent"} for c in connections)

    joined = await api.ok("GET", f"{SA1}/users/{q(user.user_id)}/joined_rooms", admin)
    assert joined == {"joined_rooms": [room], "total": 1}
    pushers = await api.ok("GET", f"{SA1}/users/{q(user.user_id)}/pushers", admin)
    assert pushers["total"] == len(pushers["pushers"])


async def test_login_as_user_gives_a_visible_session(api: Api, admin: User) -> None:
    user = await api.register()
    reply = await api.ok("POST", f"{SA1}/users/{q(user.user_id)}/login", admin, json={})
    puppet = User(user.user_id, reply["access_token"], "", "")
    assert (await api.ok("GET", C + "/account/whoami", puppet))["user_id"] == user.user_id
    names = [d["display_name"] for d in (await api.ok("GET", C + "/devices", user))["devices"]]
    assert f"Administrator session ({admin.user_id})" in names
    own = await api.request("POST", f"{SA1}/users/{q(admin.user_id)}/login", admin, json={})
    assert own.status == 400


# -- rooms ------------------------------------------------------------------------------------------


async def test_rooms_are_listed_paged_ordered_and_searched(api: Api, admin: User) -> None:
    tag = "room" + secrets.token_hex(3)
    owner = await api.register()
    guest = await api.register()
    names = [f"{tag} alpha", f"{tag} beta", f"{tag} gamma"]
    rooms = [await api.create_room(owner, name=name, preset="public_chat") for name in names]
    await api.join(guest, rooms[2])

    query = {"from": "0", "limit": "2", "search_term": tag, "order_by": "name", "dir": "f"}
    first = await api.ok("GET", SA1 + "/rooms", admin, params=query)
    assert (first["total_rooms"], first["offset"], first["next_batch"]) == (3, 0, 2)
    assert "prev_batch" not in first
    assert [r["room_id"] for r in first["rooms"]] == rooms[:2]
    assert set(first["rooms"][0]) == ROOM_LIST_FIELDS
    entry = first["rooms"][0]
    assert (entry["name"], entry["creator"], entry["joined_members"]) == (names[0], owner.user_id, 1)
    assert (entry["join_rules"], entry["public"], entry["federatable"]) == ("public", False, True)
    second = await api.ok("GET", SA1 + "/rooms", admin, params={**query, "from": "2"})
    assert [r["room_id"] for r in second["rooms"]] == rooms[2:]
    assert (second["prev_batch"], "next_batch" in second) == (0, False)

    # every column synapse-admin's room list sorts by
    for column in ("encryption", "joined_local_members", "state_events", "version", "federatable", "public"):
        await api.ok("GET", SA1 + "/rooms", admin, params={**query, "order_by": column, "dir": "b"})
    largest = await api.ok("GET", SA1 + "/rooms", admin, params={**query, "order_by": "joined_members"})
    assert largest["rooms"][0]["room_id"] == rooms[2]
    reverse = await api.ok("GET", SA1 + "/rooms", admin, params={**query, "limit": "5", "dir": "b"})
    assert [r["room_id"] for r in reverse["rooms"]] == list(reversed(rooms))

    details = await api.ok("GET", f"{SA1}/rooms/{q(rooms[2])}", admin)
    assert (details["joined_members"], details["joined_local_devices"], details["topic"]) == (2, 2, None)
    members = await api.ok("GET", f"{SA1}/rooms/{q(rooms[2])}/members", admin)
    assert members == {"members": sorted([owner.user_id, guest.user_id]), "total": 2}
    state = (await api.ok("GET", f"{SA1}/rooms/{q(rooms[2])}/state", admin))["state"]
    assert {"m.room.create", "m.room.name", "m.room.member"} <= {e["type"] for e in state}
    assert all({"event_id", "sender", "type", "state_key", "origin_server_ts"} <= set(e) for e in state)
    extremities = await api.ok("GET", f"{SA1}/rooms/{q(rooms[2])}/forward_extremities", admin)
    assert extremities["count"] == 1 and extremities["results"][0]["event_id"] == state[-1]["event_id"]
    assert await api.ok("DELETE", f"{SA1}/rooms/{q(rooms[2])}/forward_extremities", admin) == {"deleted": 0}
    missing = await api.request("GET", f"{SA1}/rooms/{q('!missing:localhost')}", admin)
    assert (missing.status, missing.errcode) == (404, "M_NOT_FOUND")


async def test_blocked_room_cannot_be_joined(api: Api, admin: User) -> None:
    owner = await api.register()
    other = await api.register()
    room = await api.create_room(owner, preset="public_chat")
    path = f"{SA1}/rooms/{q(room)}/block"
    assert await api.ok("GET", path, admin) == {"block": False}
    assert await api.ok("PUT", path, admin, json={"block": True}) == {"block": True}
    assert await api.ok("GET", path, admin) == {"block": True, "user_id": admin.user_id}
    refused = await api.request("POST", f"{C}/join/{q(room)}", other, json={})
    assert (refused.status, refused.errcode) == (403, "M_FORBIDDEN")
    await api.ok("PUT", path, admin, json={"block": False})
    await api.join(other, room)


async def _wait_deleted(api: Api, admin: User, delete_id: str) -> dict[str, Any]:
    for _ in range(200):
        status = await api.ok("GET", f"{SA2}/rooms/delete_status/{delete_id}", admin)
        if status["status"] in ("complete", "failed"):
            return dict(status)
        await asyncio.sleep(0.05)
    raise AssertionError("the deletion did not finish")


async def test_delete_room_with_replacement_block_and_purge(api: Api, admin: User) -> None:
    owner = await api.register()
    member = await api.register()
    alias_name = "doomed" + secrets.token_hex(3)
    room = await api.create_room(owner, name="Doomed", preset="public_chat", room_alias_name=alias_name)
    await api.join(member, room)
    await api.send(owner, room, "something unlawful")
    since = (await api.sync(member))["next_batch"]

    # synapse-admin sends DELETE with {"block": ...}; the other options are Synapse's
    body = {"block": True, "new_room_user_id": admin.user_id, "message": "Moved by the administrator"}
    delete_id = (await api.ok("DELETE", f"{SA2}/rooms/{q(room)}", admin, json=body))["delete_id"]
    status = await _wait_deleted(api, admin, delete_id)
    assert status["status"] == "complete", status
    shutdown = status["shutdown_room"]
    assert sorted(shutdown["kicked_users"]) == sorted([owner.user_id, member.user_id])
    assert shutdown["failed_to_kick_users"] == []
    assert shutdown["local_aliases"] == [f"#{alias_name}:localhost"]
    new_room = shutdown["new_room_id"]

    by_room = await api.ok("GET", f"{SA2}/rooms/{q(room)}/delete_status", admin)
    assert by_room["results"][0]["delete_id"] == delete_id and by_room["results"][0]["status"] == "complete"
    # the member learns it left, with the message, and finds the replacement room with the message
    after = await api.sync(member, since=since)
    assert room in after["rooms"]["leave"], after
    leave = [e for e in after["rooms"]["leave"][room]["timeline"]["events"] if e["type"] == "m.room.member"]
    assert leave[-1]["content"]["membership"] == "leave"
    assert leave[-1]["content"]["reason"] == "Moved by the administrator"
    assert (await api.ok("GET", C + "/joined_rooms", member))["joined_rooms"] == [new_room]
    messages = await api.ok("GET", f"{C}/rooms/{q(new_room)}/messages", member, params={"dir": "b"})
    assert "Moved by the administrator" in [e["content"].get("body") for e in messages["chunk"]]
    resolved = await api.ok("GET", f"{C}/directory/room/{q(f'#{alias_name}:localhost')}", member)
    assert resolved["room_id"] == new_room

    # purged: not listed, not found; blocked: nobody joins again
    listed = await api.ok("GET", SA1 + "/rooms", admin, params={"search_term": room})
    assert listed["total_rooms"] == 0
    assert (await api.request("GET", f"{SA1}/rooms/{q(room)}", admin)).status == 404
    assert await api.ok("GET", f"{SA1}/rooms/{q(room)}/block", admin) == {"block": True, "user_id": admin.user_id}
    assert (await api.request("POST", f"{C}/join/{q(room)}", member, json={})).status == 403
    search = await api.ok(
        "POST", C + "/search", owner, json={"search_categories": {"room_events": {"search_term": "unlawful"}}}
    )
    assert search["search_categories"]["room_events"]["count"] == 0

    unknown = await api.request("GET", f"{SA2}/rooms/delete_status/nope", admin)
    assert (unknown.status, unknown.errcode) == (404, "M_NOT_FOUND")
    gone = await api.request("DELETE", f"{SA2}/rooms/{q('!missing:localhost')}", admin, json={})
    assert (gone.status, gone.errcode) == (404, "M_NOT_FOUND")


async def test_delete_room_without_purge_keeps_history(api: Api, admin: User) -> None:
    owner = await api.register()
    room = await api.create_room(owner, name="Kept")
    delete_id = (await api.ok("DELETE", f"{SA2}/rooms/{q(room)}", admin, json={"purge": False}))["delete_id"]
    status = await _wait_deleted(api, admin, delete_id)
    assert (status["status"], status["shutdown_room"]["kicked_users"]) == ("complete", [owner.user_id])
    details = await api.ok("GET", f"{SA1}/rooms/{q(room)}", admin)
    assert (details["name"], details["joined_members"]) == ("Kept", 0)


# -- media ------------------------------------------------------------------------------------------


async def test_user_media_quarantine_protect_and_delete(api: Api, admin: User) -> None:
    user = await api.register()
    ids = [
        (await upload(api, user, secrets.token_bytes(100 + n), "application/octet-stream")).rsplit("/", 1)[1]
        for n in range(3)
    ]
    base = f"{SA1}/users/{q(user.user_id)}/media"
    listed = await api.ok(
        "GET", base, admin, params={"from": "0", "limit": "2", "order_by": "media_length", "dir": "f"}
    )
    assert listed["total"] == 3 and listed["next_token"] == 2
    assert [m["media_id"] for m in listed["media"]] == ids[:2]
    assert set(listed["media"][0]) == {
        "media_id",
        "media_type",
        "media_length",
        "upload_name",
        "created_ts",
        "last_access_ts",
        "quarantined_by",
        "safe_from_quarantine",
    }

    download = f"/_matrix/client/v1/media/download/localhost/{ids[0]}"
    await api.ok("POST", f"{SA1}/media/quarantine/localhost/{ids[0]}", admin)
    assert (await api.request("GET", download, user)).status == 404
    quarantined = await api.ok("GET", base, admin, params={"order_by": "media_length"})
    assert quarantined["media"][0]["quarantined_by"] == admin.user_id
    await api.ok("POST", f"{SA1}/media/unquarantine/localhost/{ids[0]}", admin)
    assert (await api.request("GET", download, user)).status == 200

    await api.ok("POST", f"{SA1}/media/protect/{ids[1]}", admin)
    refused = await api.request("POST", f"{SA1}/media/quarantine/localhost/{ids[1]}", admin)
    assert (refused.status, refused.errcode) == (400, "M_INVALID_PARAM")
    await api.ok("POST", f"{SA1}/media/unprotect/{ids[1]}", admin)

    # synapse-admin's "users' media" page
    stats = await api.ok("GET", SA1 + "/statistics/users/media", admin, params={"search_term": user.user_id})
    assert stats["total"] == 1
    assert stats["users"] == [
        {"user_id": user.user_id, "displayname": user.user_id[1:].split(":")[0], "media_count": 3, "media_length": 303}
    ]

    deleted = await api.ok("DELETE", f"{SA1}/media/localhost/{ids[0]}", admin)
    assert deleted == {"deleted_media": [ids[0]], "total": 1}
    assert (await api.request("GET", download, user)).status == 404
    rest = await api.ok("DELETE", base, admin)
    assert sorted(rest["deleted_media"]) == sorted(ids[1:]) and rest["total"] == 2
    assert (await api.ok("GET", base, admin))["total"] == 0
    remote = await api.request("DELETE", f"{SA1}/media/elsewhere.example/{ids[1]}", admin)
    assert remote.status == 400


async def test_delete_media_before_a_date(api: Api, admin: User) -> None:
    user = await api.register()
    old = (await upload(api, user, secrets.token_bytes(5000), "application/octet-stream")).rsplit("/", 1)[1]
    await asyncio.sleep(0.01)
    cutoff = await _server_now(api, user)
    young = (await upload(api, user, secrets.token_bytes(5000), "application/octet-stream")).rsplit("/", 1)[1]
    reply = await api.ok(
        "POST",
        f"{SA1}/media/localhost/delete",
        admin,
        params={"before_ts": str(cutoff), "size_gt": "4000", "keep_profiles": "true"},
    )
    assert old in reply["deleted_media"] and young not in reply["deleted_media"]
    assert reply["total"] == len(reply["deleted_media"])
    remaining = [m["media_id"] for m in (await api.ok("GET", f"{SA1}/users/{q(user.user_id)}/media", admin))["media"]]
    assert remaining == [young]


async def _server_now(api: Api, user: User) -> int:
    """A timestamp from the server's clock (an event's origin_server_ts)."""
    room = await api.create_room(user)
    event_id = await api.send(user, room, "tick")
    return int((await api.ok("GET", f"{C}/rooms/{q(room)}/event/{q(event_id)}", user))["origin_server_ts"]) + 1


# -- registration tokens and reports ----------------------------------------------------------------


async def test_registration_tokens_crud(api: Api, admin: User) -> None:
    token = "tok" + secrets.token_hex(4)
    base = SA1 + "/registration_tokens"
    created = await api.ok("POST", base + "/new", admin, json={"token": token, "uses_allowed": 1, "expiry_time": None})
    assert created == {"token": token, "uses_allowed": 1, "pending": 0, "completed": 0, "expiry_time": None}
    generated = await api.ok("POST", base + "/new", admin, json={"length": 20})
    assert len(generated["token"]) == 20
    taken = await api.request("POST", base + "/new", admin, json={"token": token})
    assert (taken.status, taken.errcode) == (400, "M_INVALID_PARAM")
    for bad in ({"token": "no spaces"}, {"uses_allowed": -1}, {"expiry_time": 1}, {"length": 65}):
        assert (await api.request("POST", base + "/new", admin, json=bad)).status == 400, bad

    listed = await api.ok("GET", base, admin)
    assert token in [t["token"] for t in listed["registration_tokens"]]
    assert await api.ok("GET", f"{base}/{token}", admin) == created
    updated = await api.ok("PUT", f"{base}/{token}", admin, json={"uses_allowed": 0})
    assert updated["uses_allowed"] == 0
    invalid = await api.ok("GET", base, admin, params={"valid": "false"})
    assert token in [t["token"] for t in invalid["registration_tokens"]]
    valid = await api.ok("GET", base, admin, params={"valid": "true"})
    assert token not in [t["token"] for t in valid["registration_tokens"]]

    await api.ok("DELETE", f"{base}/{token}", admin)
    assert (await api.request("GET", f"{base}/{token}", admin)).status == 404
    assert (await api.request("DELETE", f"{base}/{token}", admin)).status == 404


async def test_event_reports_shape(api: Api, admin: User) -> None:
    reports = await api.ok("GET", SA1 + "/event_reports", admin, params={"from": "0", "limit": "10", "dir": "b"})
    assert reports["total"] == len(reports["event_reports"]) or "next_token" in reports
    for report in reports["event_reports"]:
        assert {"id", "received_ts", "room_id", "name", "event_id", "user_id", "reason", "score", "sender"} <= set(
            report
        )
    assert (await api.request("GET", SA1 + "/event_reports/999999999", admin)).status == 404


async def test_reported_events_are_listed_read_and_deleted(api: Api, admin: User) -> None:
    owner = await api.register()
    reporter = await api.register()
    room = await api.create_room(owner, name="Reported", preset="public_chat")
    await api.join(reporter, room)
    event_id = await api.send(owner, room, "offending")
    report = await api.request(
        "POST", f"{C}/rooms/{q(room)}/report/{q(event_id)}", reporter, json={"reason": "spam", "score": -100}
    )
    if report.errcode == "M_UNRECOGNIZED":
        pytest.skip("content reporting (POST /rooms/{roomId}/report) is not on this branch yet")
    assert report.status == 200, report

    listed = await api.ok("GET", SA1 + "/event_reports", admin, params={"room_id": room, "from": "0", "limit": "10"})
    assert listed["total"] == 1
    entry = listed["event_reports"][0]
    assert (entry["event_id"], entry["user_id"], entry["sender"]) == (event_id, reporter.user_id, owner.user_id)
    assert (entry["room_id"], entry["name"], entry["reason"], entry["score"]) == (room, "Reported", "spam", -100)
    details = await api.ok("GET", f"{SA1}/event_reports/{entry['id']}", admin)
    assert details["event_json"]["content"]["body"] == "offending"
    await api.ok("DELETE", f"{SA1}/event_reports/{entry['id']}", admin)
    assert (await api.ok("GET", SA1 + "/event_reports", admin, params={"room_id": room}))["total"] == 0


# -- malformed input --------------------------------------------------------------------------------

ADMIN_BODY_KEYS = (
    "user_id",
    "content",
    "type",
    "state_key",
    "erase",
    "admin",
    "deactivated",
    "password",
    "new_password",
    "logout_devices",
    "displayname",
    "avatar_url",
    "threepids",
    "external_ids",
    "locked",
    "user_type",
    "devices",
    "display_name",
    "block",
    "purge",
    "force_purge",
    "message",
    "room_name",
    "new_room_user_id",
    "token",
    "length",
    "uses_allowed",
    "expiry_time",
    "valid_until_ms",
)
# Routes whose request has no body in Synapse's API: ignoring garbage there is fine.
BODYLESS = ("/media/quarantine/", "/media/unquarantine/", "/media/protect/", "/media/unprotect/", "/delete")


def _admin_route_id(route: Route) -> str:
    return f"{route.method} {route.path.removeprefix('/_synapse/admin')}"


@pytest.mark.parametrize("route", [r for r in synapse_admin_routes() if r.auth == "admin"], ids=_admin_route_id)
async def test_admin_route_survives_malformed_input(api: Api, admin: User, route: Route) -> None:
    victim = await api.register()
    room = await api.create_room(victim)
    plausible = {"user_id": victim.user_id, "room_id": room, "device_id": victim.device_id, "server_name": "localhost"}

    def fill(overrides: dict[str, str]) -> str:
        return PARAM.sub(lambda m: overrides.get(m.group(1)) or q(plausible.get(m.group(1), "value")), route.path)

    for name in PARAM.findall(route.path):
        for garbage in IMPLAUSIBLE:
            body = b"{}" if route.method != "GET" else None
            reply = await api.request(route.method, fill({name: garbage}), admin, data=body)
            check(reply, f"{_admin_route_id(route)} with {name}={garbage[:20]}", allow_success=True)
    path = fill({})
    if route.method != "GET":
        ignores_body = route.method == "DELETE" or any(marker in route.path for marker in BODYLESS)
        for label, raw in MALFORMED_BODIES:
            reply = await api.request(route.method, path, admin, data=raw, headers={"Content-Type": "application/json"})
            check(reply, f"{_admin_route_id(route)} with {label} body", allow_success=ignores_body)
        for value in HOSTILE_VALUES:
            reply = await api.request(route.method, path, admin, json=dict.fromkeys(ADMIN_BODY_KEYS, value))
            check(reply, f"{_admin_route_id(route)} with {value!r:.20}", allow_success=True)
    else:
        for params in [*BAD_QUERIES, {"order_by": "nonsense"}, {"deactivated": "maybe"}, {"valid": "x"}]:
            reply = await api.request("GET", path, admin, params=params)
            check(reply, f"{_admin_route_id(route)} with query {params}", allow_success=True)
    assert (await api.request("GET", SA1 + "/server_version")).status == 200


async def test_admin_changes_are_in_the_audit_log(api: Api, admin: User, server: ServerProcess) -> None:
    user = await api.register()
    room = await api.create_room(user)
    token = "audit" + secrets.token_hex(4)
    await api.ok("PUT", f"{SA1}/users/{q(user.user_id)}/admin", admin, json={"admin": True})
    await api.ok("PUT", f"{SA1}/rooms/{q(room)}/block", admin, json={"block": True})
    await api.ok("POST", SA1 + "/registration_tokens/new", admin, json={"token": token})
    await api.ok("POST", f"{SA1}/deactivate/{q(user.user_id)}", admin, json={"erase": True})

    entries = await asyncio.to_thread(audit_entries, server, "admin.set", user.user_id)
    assert [(e["via"], e["user_id"], e["details"]) for e in entries] == [("admin", admin.user_id, {"admin": True})]
    assert [e["user_id"] for e in await asyncio.to_thread(audit_entries, server, "room.block", room)] == [admin.user_id]
    created = await asyncio.to_thread(audit_entries, server, "registration_token.create")
    assert token not in str(created)  # named by its SHA-256, never in clear
    assert any(e["details"]["token_sha256"] == hashlib.sha256(token.encode()).hexdigest() for e in created)
    deactivated = await asyncio.to_thread(audit_entries, server, "account.deactivate", user.user_id)
    assert [(e["via"], e["user_id"]) for e in deactivated] == [("admin", admin.user_id)]


async def test_legal_hold_keeps_rooms_and_media_from_deletion(api: Api, admin: User) -> None:
    owner = await api.register()
    writer = await api.register()
    room = await api.create_room(owner, preset="public_chat")
    await api.join(writer, room)
    await api.send(writer, room, "evidence")
    media_id = (await upload(api, writer, secrets.token_bytes(64), "application/octet-stream")).rsplit("/", 1)[1]
    holds = "/_chancery/admin/v1/legal_holds"
    await api.ok("PUT", f"{holds}/users/{q(writer.user_id)}", admin, json={"reason": "inquiry"})

    refused = await api.request("DELETE", f"{SA2}/rooms/{q(room)}", admin, json={})
    assert (refused.status, refused.body.get("org.chancery.reason")) == (403, "legal_hold"), refused
    assert (await api.request("DELETE", f"{SA1}/media/localhost/{media_id}", admin)).status == 403
    assert (await api.request("DELETE", f"{SA1}/users/{q(writer.user_id)}/media", admin)).status == 403
    assert (await api.ok("GET", f"{SA1}/users/{q(writer.user_id)}/media", admin))["total"] == 1
    # without purging, the room can still be shut down: members leave, history stays
    delete_id = (await api.ok("DELETE", f"{SA2}/rooms/{q(room)}", admin, json={"purge": False}))["delete_id"]
    assert (await _wait_deleted(api, admin, delete_id))["status"] == "complete"
    assert (await api.ok("GET", f"{SA1}/rooms/{q(room)}", admin))["joined_members"] == 0

    await api.ok("DELETE", f"{holds}/users/{q(writer.user_id)}", admin)
    assert (await api.ok("DELETE", f"{SA1}/media/localhost/{media_id}", admin))["total"] == 1


# -- server notices ---------------------------------------------------------------------------------

NOTICES_TOML = '[server_notices]\nsystem_mxid_localpart = "notices"\nroom_name = "System alerts"\n'


@pytest.fixture(scope="module", params=ENGINES)
def notices_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    yield from own_server(request, tmp_path_factory, "notices", NOTICES_TOML, *RELAXED)


@pytest.fixture
async def notices_api(notices_server: ServerProcess) -> AsyncIterator[Api]:
    async for client in client_of(notices_server):
        yield client


async def test_server_notices_reach_the_person_in_their_own_room(
    notices_api: Api, notices_server: ServerProcess, tmp_path: Path
) -> None:
    api = notices_api
    admin = await make_admin(api, notices_server, tmp_path)
    user = await api.register()
    # synapse-admin's "Send server notice": {user_id, content: {msgtype, body}}
    notice = {"user_id": user.user_id, "content": {"msgtype": "m.text", "body": "Maintenance tonight"}}
    first = (await api.ok("POST", SA1 + "/send_server_notice", admin, json=notice))["event_id"]

    invited = (await api.sync(user))["rooms"]["invite"]
    assert len(invited) == 1
    room = next(iter(invited))
    await api.join(user, room)
    tags = await api.ok("GET", f"{C}/user/{q(user.user_id)}/rooms/{q(room)}/tags", user)
    assert "m.server_notice" in tags["tags"]
    name = await api.ok("GET", f"{C}/rooms/{q(room)}/state/m.room.name", user)
    assert name == {"name": "System alerts"}
    event = await api.ok("GET", f"{C}/rooms/{q(room)}/event/{q(first)}", user)
    assert (event["sender"], event["content"]["body"]) == ("@notices:localhost", "Maintenance tonight")
    reply = await api.request("PUT", f"{C}/rooms/{q(room)}/send/m.room.message/t1", user, json={"body": "no"})
    assert reply.status == 403  # nobody answers the server

    # the next notices go to the same room; PUT with a transaction ID is idempotent
    again = {**notice, "content": {"msgtype": "m.text", "body": "Done"}}
    put = f"{SA1}/send_server_notice/txn-{secrets.token_hex(4)}"
    second = (await api.ok("PUT", put, admin, json=again))["event_id"]
    assert (await api.ok("PUT", put, admin, json=again))["event_id"] == second
    assert (await api.ok("GET", f"{C}/rooms/{q(room)}/event/{q(second)}", user))["room_id"] == room

    # after leaving, the person is invited back to the same room
    await api.ok("POST", f"{C}/rooms/{q(room)}/leave", user, json={})
    await api.ok("POST", SA1 + "/send_server_notice", admin, json=notice)
    assert list((await api.sync(user))["rooms"]["invite"]) == [room]

    for bad in ({"content": {"body": "x"}}, {"user_id": user.user_id}, {"user_id": "@x:elsewhere", "content": {}}):
        assert (await api.request("POST", SA1 + "/send_server_notice", admin, json=bad)).status == 400, bad


async def test_server_notices_are_off_until_configured(api: Api, admin: User) -> None:
    user = await api.register()
    notice = {"user_id": user.user_id, "content": {"msgtype": "m.text", "body": "hello"}}
    refused = await api.request("POST", SA1 + "/send_server_notice", admin, json=notice)
    assert refused.status == 400 and "not enabled" in refused.body["error"]
