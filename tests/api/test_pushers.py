"""Pushers, the notification list and push-rule paths (client-server API: push notifications)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]

from tests.client import Api, C, User, q

SPEC = Path("/work/shared/matrix-spec/client-server-api.json")

GATEWAY = "https://push.example.gov/_matrix/push/v1/notify"


def pusher_body(pushkey: str = "key-1", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "http",
        "app_id": "gov.example.messenger",
        "pushkey": pushkey,
        "app_display_name": "Messenger",
        "device_display_name": "Phone",
        "profile_tag": "tag",
        "lang": "en",
        "data": {"url": GATEWAY, "format": "event_id_only"},
    }
    body.update(overrides)
    return body


@cache
def _response_schema(path: str) -> dict[str, Any]:
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    return dict(spec["paths"][C + path]["get"]["responses"]["200"]["content"]["application/json"]["schema"])


def check_response(path: str, body: Any) -> None:
    """`body` is what the spec's OpenAPI (client-server-api.json) says GET `path` answers."""
    if SPEC.exists():
        jsonschema.Draft202012Validator(_response_schema(path)).validate(body)


async def pushers(api: Api, user: User) -> list[dict[str, Any]]:
    body = await api.ok("GET", C + "/pushers", user)
    check_response("/pushers", body)
    return list(body["pushers"])


async def test_a_pusher_is_added_listed_updated_and_deleted(api: Api) -> None:
    user = await api.register()
    assert await pushers(api, user) == []
    await api.ok("POST", C + "/pushers/set", user, json=pusher_body())
    assert await pushers(api, user) == [
        {
            "pushkey": "key-1",
            "kind": "http",
            "app_id": "gov.example.messenger",
            "app_display_name": "Messenger",
            "device_display_name": "Phone",
            "profile_tag": "tag",
            "lang": "en",
            "data": {"url": GATEWAY, "format": "event_id_only"},
        }
    ]
    await api.ok("POST", C + "/pushers/set", user, json=pusher_body(device_display_name="Tablet"))
    [updated] = await pushers(api, user)
    assert updated["device_display_name"] == "Tablet"
    await api.ok("POST", C + "/pushers/set", user, json=pusher_body("key-2"))
    assert [p["pushkey"] for p in await pushers(api, user)] == ["key-1", "key-2"]
    await api.ok(
        "POST", C + "/pushers/set", user, json={"kind": None, "app_id": "gov.example.messenger", "pushkey": "key-1"}
    )
    assert [p["pushkey"] for p in await pushers(api, user)] == ["key-2"]


async def test_a_push_key_moves_to_the_new_user_unless_appended(api: Api) -> None:
    first = await api.register()
    second = await api.register()
    third = await api.register()
    await api.ok("POST", C + "/pushers/set", first, json=pusher_body("shared"))
    await api.ok("POST", C + "/pushers/set", second, json=pusher_body("shared", append=True))
    assert len(await pushers(api, first)) == 1 and len(await pushers(api, second)) == 1
    await api.ok("POST", C + "/pushers/set", third, json=pusher_body("shared"))
    assert await pushers(api, first) == [] and await pushers(api, second) == []
    assert len(await pushers(api, third)) == 1


async def test_email_pushers_are_refused_with_a_clear_error(api: Api) -> None:
    user = await api.register()
    body = pusher_body(kind="email", pushkey="someone@example.gov", data={})
    reply = await api.request("POST", C + "/pushers/set", user, json=body)
    assert reply.status == 400 and reply.errcode == "M_INVALID_PARAM"
    assert "mail" in reply.body["error"]
    assert await pushers(api, user) == []


async def test_bad_pushers_are_refused(api: Api) -> None:
    user = await api.register()
    cases: list[tuple[dict[str, Any], str]] = [
        (pusher_body(data={"url": "https://push.example.gov/somewhere/else"}), "M_INVALID_PARAM"),
        (pusher_body(data={"url": "ftp://push.example.gov/_matrix/push/v1/notify"}), "M_INVALID_PARAM"),
        (pusher_body(data={"url": "https://user:pw@push.example.gov/_matrix/push/v1/notify"}), "M_INVALID_PARAM"),
        (pusher_body(data={"url": "https://[::1/_matrix/push/v1/notify"}), "M_INVALID_PARAM"),
        (pusher_body(data={"format": "event_id_only"}), "M_MISSING_PARAM"),
        (pusher_body(data="https://push.example.gov"), "M_MISSING_PARAM"),
        (pusher_body(kind="sms"), "M_INVALID_PARAM"),
        (pusher_body(pushkey="k" * 513), "M_INVALID_PARAM"),
        (pusher_body(app_id="a" * 65), "M_INVALID_PARAM"),
        (pusher_body(lang=None), "M_MISSING_PARAM"),
        (pusher_body(append="yes"), "M_BAD_JSON"),
        (pusher_body(data={"url": GATEWAY, "format": 1}), "M_BAD_JSON"),
        ({k: v for k, v in pusher_body().items() if k != "kind"}, "M_MISSING_PARAM"),
        ({k: v for k, v in pusher_body().items() if k != "pushkey"}, "M_MISSING_PARAM"),
    ]
    for body, errcode in cases:
        reply = await api.request("POST", C + "/pushers/set", user, json=body)
        assert (reply.status, reply.errcode) == (400, errcode), body
    assert await pushers(api, user) == []
    plain_http = pusher_body(data={"url": "http://127.0.0.1:9/_matrix/push/v1/notify"})
    await api.ok("POST", C + "/pushers/set", user, json=plain_http)


async def test_pushers_need_a_token_and_are_per_account(api: Api) -> None:
    owner = await api.register()
    other = await api.register()
    await api.ok("POST", C + "/pushers/set", owner, json=pusher_body())
    assert (await api.request("GET", C + "/pushers")).status == 401
    assert await pushers(api, other) == []
    # Deleting someone else's key only deletes one's own (there is none).
    await api.ok(
        "POST", C + "/pushers/set", other, json={"kind": None, "app_id": "gov.example.messenger", "pushkey": "key-1"}
    )
    assert len(await pushers(api, owner)) == 1


async def test_changing_the_password_keeps_only_this_devices_pushers(api: Api) -> None:
    user = await api.register()
    phone = await api.login(user)
    await api.ok("POST", C + "/pushers/set", phone, json=pusher_body("phone"))
    await api.ok("POST", C + "/pushers/set", user, json=pusher_body("desk"))
    body = {
        "new_password": "another horse",
        "logout_devices": False,
        "auth": {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": user.user_id},
            "password": user.password,
        },
    }
    await api.ok("POST", C + "/account/password", user, json=body)
    assert [p["pushkey"] for p in await pushers(api, user)] == ["desk"]


# -- GET /notifications ------------------------------------------------------------------------------


async def _room_of_two(api: Api) -> tuple[User, User, str]:
    alice = await api.register()
    bob = await api.register()
    room = await api.create_room(alice, preset="public_chat")
    await api.join(bob, room)
    return alice, bob, room


async def _room_counts(api: Api, user: User, room: str) -> dict[str, Any]:
    return dict((await api.sync(user))["rooms"]["join"][room]["unread_notifications"])


async def test_notifications_list_what_sync_counts(api: Api) -> None:
    alice, bob, room = await _room_of_two(api)
    first = await api.send(alice, room, "one")
    await api.send(alice, room, content={"msgtype": "m.notice", "body": "a bot"})
    await api.send(bob, room, "my own")
    mention = await api.send(
        alice, room, content={"msgtype": "m.text", "body": "bob?", "m.mentions": {"user_ids": [bob.user_id]}}
    )
    listing = await api.ok("GET", C + "/notifications", bob)
    check_response("/notifications", listing)
    entries = listing["notifications"]
    assert [e["event"]["event_id"] for e in entries] == [mention, first]
    assert "next_token" not in listing
    counts = await _room_counts(api, bob, room)
    unread = [e for e in entries if not e["read"]]
    assert counts == {"notification_count": len(unread), "highlight_count": 1}
    top = entries[0]
    assert top["room_id"] == room and top["ts"] == top["event"]["origin_server_ts"]
    assert {"set_tweak": "highlight"} in top["actions"] and "notify" in top["actions"]
    assert {"set_tweak": "highlight", "value": False} in entries[1]["actions"]
    highlights = await api.ok("GET", C + "/notifications", bob, params={"only": "highlight"})
    assert [e["event"]["event_id"] for e in highlights["notifications"]] == [mention]

    await api.ok("POST", f"{C}/rooms/{q(room)}/receipt/m.read/{q(first)}", bob, json={})
    entries = (await api.ok("GET", C + "/notifications", bob))["notifications"]
    assert [e["read"] for e in entries] == [False, True]
    assert (await _room_counts(api, bob, room))["notification_count"] == 1


async def test_notifications_page_backwards_with_next_token(api: Api) -> None:
    alice, bob, room = await _room_of_two(api)
    sent = [await api.send(alice, room, f"message {n}") for n in range(5)]
    seen: list[str] = []
    params = {"limit": "2"}
    for _ in range(5):
        page = await api.ok("GET", C + "/notifications", bob, params=params)
        seen += [e["event"]["event_id"] for e in page["notifications"]]
        if "next_token" not in page:
            break
        params = {"limit": "2", "from": page["next_token"]}
    assert seen == sent[::-1]


async def test_notifications_leave_out_rooms_the_user_left_and_bad_parameters_are_refused(api: Api) -> None:
    alice, bob, room = await _room_of_two(api)
    await api.send(alice, room, "before leaving")
    await api.ok("POST", f"{C}/rooms/{q(room)}/leave", bob, json={})
    await api.send(alice, room, "after leaving")
    assert (await api.ok("GET", C + "/notifications", bob))["notifications"] == []
    for params in ({"from": "x1"}, {"limit": "0"}, {"limit": "²"}, {"only": "everything"}):
        reply = await api.request("GET", C + "/notifications", bob, params=params)
        assert (reply.status, reply.errcode) == (400, "M_INVALID_PARAM"), params


# -- push-rule paths ---------------------------------------------------------------------------------


async def test_push_rule_paths_with_and_without_trailing_slashes(api: Api) -> None:
    user = await api.register()
    everything = await api.ok("GET", C + "/pushrules/", user)
    assert await api.ok("GET", C + "/pushrules", user) == everything
    assert await api.ok("GET", C + "/pushrules/global", user) == everything["global"]
    assert await api.ok("GET", C + "/pushrules/global/", user) == everything["global"]
    assert await api.ok("GET", C + "/pushrules/global/override/", user) == everything["global"]["override"]
    await api.ok("PUT", C + "/pushrules/global/room/" + q("!a:localhost") + "/", user, json={"actions": []})
    rule = await api.ok("GET", C + "/pushrules/global/room/" + q("!a:localhost") + "/", user)
    assert rule["rule_id"] == "!a:localhost"
    await api.ok("DELETE", C + "/pushrules/global/room/" + q("!a:localhost") + "/", user)
    missing = await api.request("GET", C + "/pushrules/global/room/" + q("!a:localhost"), user)
    assert missing.status == 404
    assert (await api.request("GET", C + "/pushrules/global/nonsense/", user)).status == 400
