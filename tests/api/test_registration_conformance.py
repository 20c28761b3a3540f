"""Registration and state conformance: user-interactive sessions remember the first request's parameters
(never echoing them, above all not the password's hash), repeating a completed registration returns the same
account, `inhibit_login`, usernames with whitespace or control characters refused, and a state PUT that
repeats the current content returns the current event instead of a new one."""

from __future__ import annotations

import asyncio
import json
import secrets

from tests.client import Api, C, User, q


def new_name() -> str:
    return "r" + secrets.token_hex(6)


async def test_a_session_remembers_the_first_requests_parameters(api: Api) -> None:
    name = new_name()
    first = await api.request(
        "POST",
        C + "/register",
        json={
            "username": name,
            "password": "s3kr1t pass",
            "device_id": "XYZZY",
            "initial_device_display_name": "Remembered phone",
        },
    )
    assert first.status == 401 and first.body["params"] == {}
    assert "argon2" not in json.dumps(first.body) and "s3kr1t" not in json.dumps(first.body)

    # Later stages may carry nothing but the auth.
    done = await api.ok(
        "POST", C + "/register", json={"auth": {"type": "m.login.dummy", "session": first.body["session"]}}
    )
    assert done["user_id"] == f"@{name}:localhost" and done["device_id"] == "XYZZY"
    assert done["home_server"] == "localhost"
    user = User(done["user_id"], done["access_token"], done["device_id"], "s3kr1t pass")
    assert (await api.ok("GET", C + "/devices/XYZZY", user))["display_name"] == "Remembered phone"
    assert (await api.login(user)).user_id == user.user_id


async def test_repeating_the_completing_request_returns_the_same_account(api: Api) -> None:
    for with_username in (True, False):
        body = {"password": "another pass"} | ({"username": new_name()} if with_username else {})
        session = (await api.request("POST", C + "/register", json=body)).body["session"]
        complete = body | {"auth": {"type": "m.login.dummy", "session": session}}
        first = await api.ok("POST", C + "/register", json=complete)
        second = await api.ok("POST", C + "/register", json=complete)
        assert second["user_id"] == first["user_id"], with_username
        for reply in (first, second):
            whoami = await api.ok("GET", C + "/account/whoami", User(reply["user_id"], reply["access_token"], "", ""))
            assert whoami["user_id"] == first["user_id"]


async def test_concurrent_retries_of_the_completing_request_make_one_account(api: Api) -> None:
    session = (await api.request("POST", C + "/register", json={"password": "racing pass"})).body["session"]
    complete = {"password": "racing pass", "auth": {"type": "m.login.dummy", "session": session}}
    replies = await asyncio.gather(*(api.request("POST", C + "/register", json=complete) for _ in range(4)))
    created = {reply.body["user_id"] for reply in replies if reply.status == 200}
    assert len(created) == 1, replies
    assert all(reply.status == 200 or reply.errcode == "M_USER_IN_USE" for reply in replies), replies


async def test_inhibit_login_creates_the_account_without_a_session(api: Api) -> None:
    name = new_name()
    body = await api.ok(
        "POST",
        C + "/register",
        json={"username": name, "password": "pw inhibit", "inhibit_login": True, "auth": {"type": "m.login.dummy"}},
    )
    assert body == {"user_id": f"@{name}:localhost", "home_server": "localhost"}
    user = await api.login(User(body["user_id"], "", "", "pw inhibit"))
    assert [d["device_id"] for d in await api_devices(api, user)] == [user.device_id]


async def api_devices(api: Api, user: User) -> list[dict[str, object]]:
    return list((await api.ok("GET", C + "/devices", user))["devices"])


async def test_usernames_with_whitespace_or_control_characters_are_refused(api: Api) -> None:
    base = new_name()
    for username in (base + "\n", base + " x", "\t" + base, base + "\x07", base + "\u00a0", base + "\u2028"):
        reply = await api.request(
            "POST", C + "/register", json={"username": username, "password": "pw", "auth": {"type": "m.login.dummy"}}
        )
        assert (reply.status, reply.errcode) == (400, "M_INVALID_USERNAME"), (username, reply)
        reply = await api.request("GET", C + "/register/available", params={"username": username})
        assert (reply.status, reply.errcode) == (400, "M_INVALID_USERNAME"), (username, reply)


async def test_putting_the_same_state_again_returns_the_current_event(api: Api) -> None:
    owner, member = await api.register(), await api.register()
    room = await api.create_room(
        owner, preset="public_chat", power_level_content_override={"events": {"m.room.topic": 0}}
    )
    await api.join(member, room)
    path = f"{C}/rooms/{q(room)}/state/m.room.topic/"
    first = (await api.ok("PUT", path, owner, json={"topic": "Budget"}))["event_id"]
    assert (await api.ok("PUT", path, owner, json={"topic": "Budget"}))["event_id"] == first
    # Another sender, or other content, is a new event.
    by_member = (await api.ok("PUT", path, member, json={"topic": "Budget"}))["event_id"]
    assert by_member != first
    changed = (await api.ok("PUT", path, member, json={"topic": "Budget 2027"}))["event_id"]
    assert changed not in (first, by_member)
    topics = [
        e["event_id"]
        for e in (await api.ok("GET", f"{C}/rooms/{q(room)}/messages", owner, params={"dir": "b", "limit": "50"}))[
            "chunk"
        ]
        if e["type"] == "m.room.topic"
    ]
    assert topics == [changed, by_member, first]
