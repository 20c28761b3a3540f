"""Accounts and per-user data through the raw API: registration, login, sessions, devices, UIA, filters,
account data, tags, push rules, directory, presence, discovery, public rooms and aliases."""

from __future__ import annotations

import asyncio
import math
import secrets
from pathlib import Path
from typing import Any

from tests.client import Api, C, User, q
from tests.conftest import cleanup_server, make_server
from tests.serverproc import ServerProcess


def password_auth(user: User, password: str | None = None, session: str | None = None) -> dict[str, Any]:
    auth: dict[str, Any] = {
        "type": "m.login.password",
        "identifier": {"type": "m.id.user", "user": user.user_id},
        "password": password or user.password,
    }
    if session:
        auth["session"] = session
    return auth


def login_body(user_id: str, password: str) -> dict[str, Any]:
    return {"type": "m.login.password", "identifier": {"type": "m.id.user", "user": user_id}, "password": password}


async def uia_session(api: Api, method: str, path: str, user: User, body: dict[str, Any]) -> str:
    """The first UIA round trip: 401 with the password flow and a session."""
    reply = await api.request(method, path, user, json=body)
    assert reply.status == 401, reply
    assert ["m.login.password"] in [f["stages"] for f in reply.body["flows"]]
    return str(reply.body["session"])


# --- registration and login -----------------------------------------------------------------------------


async def test_register_and_availability(api: Api) -> None:
    name = "avail" + secrets.token_hex(4)
    assert await api.ok("GET", C + "/register/available", params={"username": name}) == {"available": True}
    user = await api.register(name)
    taken = await api.request("GET", C + "/register/available", params={"username": name})
    assert (taken.status, taken.errcode) == (400, "M_USER_IN_USE")
    again = await api.request(
        "POST", C + "/register", json={"username": name, "password": "x" * 10, "auth": {"type": "m.login.dummy"}}
    )
    assert (again.status, again.errcode) == (400, "M_USER_IN_USE")
    for bad in ("has space", "a" * 300, "é", "semi;colon", "@other:elsewhere.example"):
        reply = await api.request("GET", C + "/register/available", params={"username": bad})
        assert (reply.status, reply.errcode) == (400, "M_INVALID_USERNAME"), bad
    assert user.user_id.startswith(f"@{name}:")
    flows = await api.ok("GET", C + "/login")
    assert {"type": "m.login.password"} in flows["flows"]


async def test_login_errors(api: Api) -> None:
    user = await api.register()
    wrong = await api.request("POST", C + "/login", json=login_body(user.user_id, "wrong password"))
    assert (wrong.status, wrong.errcode) == (403, "M_FORBIDDEN")
    unknown = await api.request("POST", C + "/login", json=login_body("@nobody_" + secrets.token_hex(4) + ":x", "pw"))
    assert (unknown.status, unknown.errcode) == (403, "M_FORBIDDEN")
    unknown_local = await api.request("POST", C + "/login", json=login_body("nobody" + secrets.token_hex(4), "pw"))
    assert (unknown_local.status, unknown_local.errcode) == (403, "M_FORBIDDEN")
    bad_type = await api.request("POST", C + "/login", json={"type": "m.login.magic"})
    assert bad_type.status == 400 and bad_type.errcode
    localpart = user.user_id[1:].split(":")[0]
    ok = await api.ok("POST", C + "/login", json=login_body(localpart, user.password))
    assert ok["user_id"] == user.user_id and ok["access_token"] != user.token
    assert ok["well_known"]["m.homeserver"]["base_url"]


async def test_tokens_only_in_header_and_long(api: Api) -> None:
    user = await api.register()
    via_query = await api.request("GET", C + "/account/whoami", params={"access_token": user.token})
    assert (via_query.status, via_query.errcode) == (401, "M_MISSING_TOKEN")
    tokens = [user.token] + [(await api.login(user)).token for _ in range(3)]
    assert len(set(tokens)) == len(tokens)
    for token in tokens:
        alphabet = len(set(token))
        assert alphabet >= 16, token
        # Bits of entropy implied by the string: length times log2 of the alphabet it draws from (at least 64 symbols
        # for base64-like tokens, at least 16 for hex); demand 128 bits even on the conservative hex estimate.
        assert len(token) * math.log2(16) >= 128, token
    whoami = await api.ok("GET", C + "/account/whoami", user)
    assert whoami == {"user_id": user.user_id, "device_id": user.device_id, "is_guest": False}
    garbage = await api.request("GET", C + "/account/whoami", headers={"Authorization": "Bearer nonsense"})
    assert (garbage.status, garbage.errcode) == (401, "M_UNKNOWN_TOKEN")


async def test_logout_and_logout_all(api: Api) -> None:
    user = await api.register()
    second, third = await api.login(user), await api.login(user)
    await api.ok("POST", C + "/logout", second, json={})
    gone = await api.request("GET", C + "/account/whoami", second)
    assert (gone.status, gone.errcode) == (401, "M_UNKNOWN_TOKEN")
    devices = await api.ok("GET", C + "/devices", user)
    assert second.device_id not in {d["device_id"] for d in devices["devices"]}
    await api.ok("GET", C + "/account/whoami", third)
    await api.ok("POST", C + "/logout/all", third, json={})
    for session in (user, third):
        reply = await api.request("GET", C + "/account/whoami", session)
        assert (reply.status, reply.errcode) == (401, "M_UNKNOWN_TOKEN")
    fresh = await api.login(user)
    await api.ok("GET", C + "/account/whoami", fresh)


async def test_password_change_via_uia(api: Api) -> None:
    user = await api.register()
    other_device = await api.login(user)
    path = C + "/account/password"
    session = await uia_session(api, "POST", path, user, {"new_password": "a brand new secret"})
    wrong = await api.request(
        "POST", path, user, json={"new_password": "x" * 12, "auth": password_auth(user, "not my password", session)}
    )
    assert wrong.status == 401 and wrong.errcode == "M_FORBIDDEN"
    await api.ok(
        "POST", path, user, json={"new_password": "a brand new secret", "auth": password_auth(user, session=session)}
    )
    old = await api.request("POST", C + "/login", json=login_body(user.user_id, user.password))
    assert (old.status, old.errcode) == (403, "M_FORBIDDEN")
    await api.ok("POST", C + "/login", json=login_body(user.user_id, "a brand new secret"))
    # The requesting device stays logged in; every other device is logged out.
    await api.ok("GET", C + "/account/whoami", user)
    logged_out = await api.request("GET", C + "/account/whoami", other_device)
    assert (logged_out.status, logged_out.errcode) == (401, "M_UNKNOWN_TOKEN")


async def test_deactivation_via_uia(api: Api) -> None:
    owner, user = await api.register(), await api.register()
    room = await api.create_room(owner, preset="public_chat")
    await api.join(user, room)
    path = C + "/account/deactivate"
    session = await uia_session(api, "POST", path, user, {})
    refused = await api.request("POST", path, user, json={"auth": password_auth(user, "wrong", session)})
    assert refused.status == 401
    await api.ok("POST", path, user, json={"auth": password_auth(user, session=session)})
    dead = await api.request("GET", C + "/account/whoami", user)
    assert (dead.status, dead.errcode) == (401, "M_UNKNOWN_TOKEN")
    login = await api.request("POST", C + "/login", json=login_body(user.user_id, user.password))
    assert login.status == 403
    members = await api.ok("GET", f"{C}/rooms/{q(room)}/joined_members", owner)
    assert user.user_id not in members["joined"]
    name = user.user_id[1:].split(":")[0]
    reused = await api.request("GET", C + "/register/available", params={"username": name})
    assert reused.status == 400  # a deactivated ID is never handed out again


async def test_devices_list_get_rename_delete(api: Api) -> None:
    user = await api.register()
    other = await api.login(user)
    listed = await api.ok("GET", C + "/devices", user)
    assert {d["device_id"] for d in listed["devices"]} == {user.device_id, other.device_id}
    device = await api.ok("GET", f"{C}/devices/{q(other.device_id)}", user)
    assert device["device_id"] == other.device_id and "last_seen_ts" in device
    await api.ok("PUT", f"{C}/devices/{q(other.device_id)}", user, json={"display_name": "Office laptop"})
    renamed = await api.ok("GET", f"{C}/devices/{q(other.device_id)}", user)
    assert renamed["display_name"] == "Office laptop"
    missing = await api.request("GET", f"{C}/devices/NOSUCHDEVICE", user)
    assert (missing.status, missing.errcode) == (404, "M_NOT_FOUND")
    stranger = await api.register()
    foreign = await api.request("GET", f"{C}/devices/{q(other.device_id)}", stranger)
    assert foreign.status == 404  # never another user's device

    path = f"{C}/devices/{q(other.device_id)}"
    session = await uia_session(api, "DELETE", path, user, {})
    await api.ok("DELETE", path, user, json={"auth": password_auth(user, session=session)})
    gone = await api.request("GET", C + "/account/whoami", other)
    assert (gone.status, gone.errcode) == (401, "M_UNKNOWN_TOKEN")
    third, fourth = await api.login(user), await api.login(user)
    body = {"devices": [third.device_id, fourth.device_id]}
    session = await uia_session(api, "POST", C + "/delete_devices", user, body)
    await api.ok("POST", C + "/delete_devices", user, json={**body, "auth": password_auth(user, session=session)})
    remaining = await api.ok("GET", C + "/devices", user)
    assert [d["device_id"] for d in remaining["devices"]] == [user.device_id]


async def test_login_rate_limit(tmp_path: Path, server: ServerProcess) -> None:
    own = await asyncio.to_thread(make_server, tmp_path, server.engine, "--open-registration")
    await asyncio.to_thread(own.start)
    api = Api(own.base_url)
    try:
        user = await api.register()
        statuses = []
        for _ in range(12):
            reply = await api.request("POST", C + "/login", json=login_body(user.user_id, "wrong password"))
            statuses.append(reply.status)
            if reply.status == 429:
                assert reply.errcode == "M_LIMIT_EXCEEDED"
                assert isinstance(reply.body["retry_after_ms"], int) and reply.body["retry_after_ms"] > 0
                break
        assert statuses[-1] == 429 and set(statuses[:-1]) == {403}, statuses
    finally:
        await api.close()
        await asyncio.to_thread(cleanup_server, own)


# --- filters, account data, tags, push rules -------------------------------------------------------------


async def test_filters_apply_to_sync(api: Api) -> None:
    alice, bob, carol = await api.register(), await api.register(), await api.register()
    room = await api.create_room(alice, preset="public_chat")
    await api.join(bob, room)
    await api.join(carol, room)
    for i in range(5):
        await api.send(alice, room, f"m{i}")
    await api.send(alice, room, "note", event_type="org.example.note", content={"x": 1})
    definition: dict[str, Any] = {
        "room": {
            "timeline": {"limit": 3, "not_types": ["org.example.note"]},
            "state": {"lazy_load_members": True},
        },
        "presence": {"types": []},
    }
    created = await api.ok("POST", f"{C}/user/{q(bob.user_id)}/filter", bob, json=definition)
    filter_id = created["filter_id"]
    stored = await api.ok("GET", f"{C}/user/{q(bob.user_id)}/filter/{q(filter_id)}", bob)
    assert stored["room"]["timeline"] == definition["room"]["timeline"]
    foreign = await api.request("GET", f"{C}/user/{q(alice.user_id)}/filter/{q(filter_id)}", bob)
    assert foreign.status in (403, 404)
    body = await api.sync(bob, filter=filter_id)
    joined = body["rooms"]["join"][room]
    timeline = joined["timeline"]
    assert [e["content"]["body"] for e in timeline["events"]] == ["m2", "m3", "m4"]
    assert timeline["limited"] is True
    # lazy_load_members: only the timeline's senders (and the syncing user) appear in state; silent carol does not.
    members = {e["state_key"] for e in joined["state"]["events"] if e["type"] == "m.room.member"}
    assert members == {alice.user_id, bob.user_id}
    assert joined["summary"]["m.joined_member_count"] == 3
    only_notes = await api.sync(bob, filter='{"room": {"timeline": {"types": ["org.example.note"], "limit": 10}}}')
    assert [e["type"] for e in only_notes["rooms"]["join"][room]["timeline"]["events"]] == ["org.example.note"]
    bad = await api.request("GET", C + "/sync", bob, params={"filter": "no-such-filter"})
    assert bad.status in (400, 404) and bad.errcode


async def test_account_data_and_tags_in_sync(api: Api) -> None:
    user = await api.register()
    room = await api.create_room(user)
    start = await api.sync(user)
    base = f"{C}/user/{q(user.user_id)}"
    await api.ok("PUT", f"{base}/account_data/org.example.global", user, json={"theme": "dark"})
    await api.ok("PUT", f"{base}/rooms/{q(room)}/account_data/org.example.room", user, json={"pinned": True})
    await api.ok("PUT", f"{base}/rooms/{q(room)}/tags/m.favourite", user, json={"order": 0.5})
    await api.ok("PUT", f"{base}/rooms/{q(room)}/tags/u.work", user, json={})
    assert await api.ok("GET", f"{base}/account_data/org.example.global", user) == {"theme": "dark"}
    assert await api.ok("GET", f"{base}/rooms/{q(room)}/account_data/org.example.room", user) == {"pinned": True}
    tags = await api.ok("GET", f"{base}/rooms/{q(room)}/tags", user)
    assert tags == {"tags": {"m.favourite": {"order": 0.5}, "u.work": {}}}
    body = await api.sync(user, start["next_batch"])
    global_data = {e["type"]: e["content"] for e in body["account_data"]["events"]}
    assert global_data["org.example.global"] == {"theme": "dark"}
    room_data = {e["type"]: e["content"] for e in body["rooms"]["join"][room]["account_data"]["events"]}
    assert room_data["org.example.room"] == {"pinned": True}
    assert room_data["m.tag"] == {"tags": {"m.favourite": {"order": 0.5}, "u.work": {}}}
    await api.ok("DELETE", f"{base}/rooms/{q(room)}/tags/u.work", user)
    assert await api.ok("GET", f"{base}/rooms/{q(room)}/tags", user) == {"tags": {"m.favourite": {"order": 0.5}}}
    other = await api.register()
    denied = await api.request("GET", f"{base}/account_data/org.example.global", other)
    assert (denied.status, denied.errcode) == (403, "M_FORBIDDEN")
    missing = await api.request("GET", f"{base}/account_data/org.example.none", user)
    assert (missing.status, missing.errcode) == (404, "M_NOT_FOUND")


async def test_push_rules_defaults_and_edits(api: Api) -> None:
    user = await api.register()
    start = await api.sync(user)
    rules = (await api.ok("GET", C + "/pushrules/", user))["global"]
    ids = {kind: [r["rule_id"] for r in rules[kind]] for kind in ("override", "content", "room", "sender", "underride")}
    assert {".m.rule.master", ".m.rule.suppress_notices", ".m.rule.invite_for_me", ".m.rule.member_event"} <= set(
        ids["override"]
    )
    assert ".m.rule.is_user_mention" in ids["override"]
    assert {".m.rule.message", ".m.rule.encrypted", ".m.rule.room_one_to_one"} <= set(ids["underride"])

    rule = {"actions": ["notify", {"set_tweak": "highlight"}], "pattern": "budget"}
    await api.ok("PUT", C + "/pushrules/global/content/budget", user, json=rule)
    await api.ok(
        "PUT", C + "/pushrules/global/override/.m.rule.suppress_notices/enabled", user, json={"enabled": False}
    )
    got = await api.ok("GET", C + "/pushrules/global/content/budget", user)
    assert got["pattern"] == "budget" and got["enabled"] is True and got["default"] is False
    assert await api.ok("GET", C + "/pushrules/global/override/.m.rule.suppress_notices/enabled", user) == {
        "enabled": False
    }
    body = await api.sync(user, start["next_batch"])
    push = next(e for e in body["account_data"]["events"] if e["type"] == "m.push_rules")["content"]["global"]
    assert "budget" in [r["rule_id"] for r in push["content"]]
    suppress = next(r for r in push["override"] if r["rule_id"] == ".m.rule.suppress_notices")
    assert suppress["enabled"] is False
    bad = await api.request("PUT", C + "/pushrules/global/content/.m.rule.custom", user, json=rule)
    assert bad.status == 400 and bad.errcode
    missing = await api.request("DELETE", C + "/pushrules/global/content/nonexistent", user)
    assert (missing.status, missing.errcode) == (404, "M_NOT_FOUND")
    await api.ok("DELETE", C + "/pushrules/global/content/budget", user)
    after = (await api.ok("GET", C + "/pushrules/", user))["global"]
    assert "budget" not in [r["rule_id"] for r in after["content"]]


# --- directory, presence, discovery, public rooms, aliases ---------------------------------------------


async def test_user_directory_and_presence(api: Api) -> None:
    marker = "zz" + secrets.token_hex(3)
    searcher, target = await api.register(), await api.register(f"{marker}target")
    await api.ok("PUT", f"{C}/profile/{q(target.user_id)}/displayname", target, json={"displayname": "Archivist"})
    room = await api.create_room(target, preset="public_chat")
    await api.join(searcher, room)
    found = await api.ok("POST", C + "/user_directory/search", searcher, json={"search_term": marker, "limit": 5})
    assert [r["user_id"] for r in found["results"]] == [target.user_id]
    assert found["results"][0]["display_name"] == "Archivist"
    assert found["limited"] is False

    await api.ok(
        "PUT", f"{C}/presence/{q(target.user_id)}/status", target, json={"presence": "online", "status_msg": "in"}
    )
    presence = await api.ok("GET", f"{C}/presence/{q(target.user_id)}/status", searcher)
    assert presence["presence"] == "online" and presence["status_msg"] == "in"
    other = await api.request("PUT", f"{C}/presence/{q(target.user_id)}/status", searcher, json={"presence": "online"})
    assert (other.status, other.errcode) == (403, "M_FORBIDDEN")
    bad = await api.request("PUT", f"{C}/presence/{q(target.user_id)}/status", target, json={"presence": "asleep"})
    assert bad.status == 400 and bad.errcode


async def test_capabilities_and_well_known(api: Api, server: ServerProcess) -> None:
    user = await api.register()
    caps = (await api.ok("GET", C + "/capabilities", user))["capabilities"]
    assert caps["m.change_password"]["enabled"] is True
    versions = caps["m.room_versions"]
    assert versions["default"] in versions["available"]
    well_known = await api.ok("GET", "/.well-known/matrix/client")
    assert well_known["m.homeserver"]["base_url"].startswith("http")
    assert (await api.request("GET", C + "/capabilities")).status == 401


async def test_public_rooms_and_aliases(api: Api) -> None:
    owner, other = await api.register(), await api.register()
    alias_local = "hall" + secrets.token_hex(4)
    room = await api.create_room(
        owner, preset="public_chat", visibility="public", room_alias_name=alias_local, name="Hall"
    )
    domain = owner.user_id.split(":", 1)[1]
    alias = f"#{alias_local}:{domain}"
    resolved = await api.ok("GET", f"{C}/directory/room/{q(alias)}", other)
    assert resolved["room_id"] == room and domain in resolved["servers"]
    listed = await api.ok("GET", C + "/publicRooms", other, params={"limit": "500"})
    entry = next(r for r in listed["chunk"] if r["room_id"] == room)
    assert entry["name"] == "Hall" and entry["canonical_alias"] == alias and entry["num_joined_members"] == 1
    searched = await api.ok("POST", C + "/publicRooms", other, json={"filter": {"generic_search_term": "Hall"}})
    assert room in [r["room_id"] for r in searched["chunk"]]
    assert (await api.ok("GET", f"{C}/directory/list/room/{q(room)}", other)) == {"visibility": "public"}

    second = f"#{alias_local}b:{domain}"
    await api.ok("PUT", f"{C}/directory/room/{q(second)}", owner, json={"room_id": room})
    clash = await api.request("PUT", f"{C}/directory/room/{q(second)}", owner, json={"room_id": room})
    assert (clash.status, clash.errcode) == (409, "M_UNKNOWN")
    aliases = await api.ok("GET", f"{C}/rooms/{q(room)}/aliases", owner)
    assert set(aliases["aliases"]) >= {alias, second}
    stolen = await api.request("DELETE", f"{C}/directory/room/{q(second)}", other)
    assert (stolen.status, stolen.errcode) == (403, "M_FORBIDDEN")
    await api.ok("DELETE", f"{C}/directory/room/{q(second)}", owner)
    gone = await api.request("GET", f"{C}/directory/room/{q(second)}", other)
    assert (gone.status, gone.errcode) == (404, "M_NOT_FOUND")

    hidden = await api.request("PUT", f"{C}/directory/list/room/{q(room)}", other, json={"visibility": "private"})
    assert (hidden.status, hidden.errcode) == (403, "M_FORBIDDEN")
    await api.ok("PUT", f"{C}/directory/list/room/{q(room)}", owner, json={"visibility": "private"})
    listed = await api.ok("GET", C + "/publicRooms", other, params={"limit": "500"})
    assert room not in [r["room_id"] for r in listed["chunk"]]
    # Joining by alias works for anyone in a public room.
    await api.ok("POST", f"{C}/join/{q(alias)}", other, json={})
    assert room in (await api.ok("GET", C + "/joined_rooms", other))["joined_rooms"]
