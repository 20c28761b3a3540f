"""Numbers from query strings and tokens: ASCII decimal digits within 64 bits, else 400 M_INVALID_PARAM (never a
500, never a silently reinterpreted value); /createRoom fields of the wrong JSON type are 400 M_BAD_JSON."""

from __future__ import annotations

import secrets
from typing import Any

from tests.client import Api, C, User, q

V1 = "/_matrix/client/v1"
# What Python's int() or str.isdigit() would take but a Matrix client never sends, and 64-bit overflows.
NOT_DECIMAL = ["٣", "²", "+5", " 5", "5 ", "1_000", "0x10", "-0", "", "1e3", "9223372036854775808", "9" * 30]


def expect_invalid(reply: Any, what: str) -> None:
    assert (reply.status, reply.errcode) == (400, "M_INVALID_PARAM"), (what, reply.status, f"{reply.body!r:.200}")


async def setup(api: Api) -> tuple[User, str, str]:
    user = await api.register()
    room = await api.create_room(user)
    event_id = await api.send(user, room, "hello")
    return user, room, event_id


async def test_query_integers_are_ascii_decimal_within_range(api: Api) -> None:
    user, room, event_id = await setup(api)
    r = f"{C}/rooms/{q(room)}"
    integer_params = [
        (f"{r}/messages", "limit"),
        (f"{r}/context/{q(event_id)}", "limit"),
        (f"{V1}/rooms/{q(room)}/relations/{q(event_id)}", "limit"),
        (f"{V1}/rooms/{q(room)}/threads", "limit"),
        (C + "/sync", "timeout"),
        (C + "/publicRooms", "limit"),
        (f"{V1}/media/download/localhost/{'x' * 32}", "timeout_ms"),
        (f"{V1}/media/thumbnail/localhost/{'x' * 32}", "width"),
    ]
    for path, key in integer_params:
        for value in NOT_DECIMAL:
            params = {key: value, "height": "32"} if key == "width" else {key: value}
            expect_invalid(await api.request("GET", path, user, params=params), f"{path} {key}={value!r}")
    fine = await api.ok("GET", f"{r}/messages", user, params={"limit": "0005", "dir": "b"})
    assert isinstance(fine["chunk"], list)


async def test_tokens_are_ascii_decimal_within_range(api: Api) -> None:
    user, room, event_id = await setup(api)
    r = f"{C}/rooms/{q(room)}"
    token_params = [
        (C + "/sync", "since", "s"),
        (f"{r}/messages", "from", "s"),
        (f"{r}/messages", "to", "s"),
        (f"{r}/members", "at", "s"),
        (f"{V1}/rooms/{q(room)}/relations/{q(event_id)}", "from", "s"),
        (f"{V1}/rooms/{q(room)}/threads", "from", "s"),
        (C + "/publicRooms", "since", "p"),
    ]
    for path, key, prefix in token_params:
        for value in NOT_DECIMAL:
            reply = await api.request("GET", path, user, params={key: prefix + value})
            expect_invalid(reply, f"{path} {key}={prefix + value!r}")
    for value in ("s²", "s٣", "s9223372036854775808"):
        reply = await api.request("GET", C + "/keys/changes", user, params={"from": value, "to": "s1"})
        expect_invalid(reply, f"keys/changes from={value!r}")
    body = await api.request("POST", C + "/publicRooms", user, json={"since": "p²"})
    expect_invalid(body, "POST publicRooms since")
    # The largest position there can be is still a valid token.
    assert (await api.request("GET", C + "/sync", user, params={"since": f"s{2**63 - 1}"})).status == 200


async def test_numeric_identifiers_in_paths_are_ascii_decimal(api: Api) -> None:
    user, _room, _event = await setup(api)
    for filter_id in ("²", "٣", "9" * 30):
        stored = await api.request("GET", f"{C}/user/{q(user.user_id)}/filter/{q(filter_id)}", user)
        assert (stored.status, stored.errcode) == (404, "M_NOT_FOUND"), (filter_id, stored)
        synced = await api.request("GET", C + "/sync", user, params={"filter": filter_id})
        assert synced.status in (400, 404) and synced.errcode, (filter_id, synced)
    await api.ok("POST", C + "/room_keys/version", user, json={"algorithm": "m.megolm_backup.v1", "auth_data": {}})
    for version in ("²", "٣", "+1", "9" * 30):
        reply = await api.request("GET", f"{C}/room_keys/version/{q(version)}", user)
        assert (reply.status, reply.errcode) == (404, "M_NOT_FOUND"), (version, reply)
        keys = await api.request("GET", C + "/room_keys/keys", user, params={"version": version})
        assert 400 <= keys.status < 500 and keys.errcode, (version, keys)


async def test_create_room_fields_of_the_wrong_type_are_bad_json(api: Api) -> None:
    user = await api.register()
    wrong: list[dict[str, Any]] = [
        {"preset": {}},
        {"preset": ["public_chat"]},
        {"preset": 1},
        {"room_version": 12},
        {"visibility": {"public": True}},
        {"visibility": 1},
        {"invite": "@a:localhost"},
        {"invite": [1]},
        {"initial_state": {}},
        {"initial_state": [1]},
        {"initial_state": [{"type": "m.room.topic", "state_key": 5, "content": {"topic": "x"}}]},
        {"initial_state": [{"type": "m.room.topic", "content": "x"}]},
        {"power_level_content_override": []},
        {"creation_content": "x"},
        {"name": 5},
        {"topic": ["x"]},
        {"is_direct": "yes"},
        {"room_alias_name": 5},
    ]
    for body in wrong:
        reply = await api.request("POST", C + "/createRoom", user, json=body)
        assert (reply.status, reply.errcode) == (400, "M_BAD_JSON"), (body, reply.status, f"{reply.body!r:.200}")
    # Values of the right type that the server cannot use are refused as such.
    for body, errcode in (
        ({"preset": "party"}, "M_INVALID_PARAM"),
        ({"visibility": "secret"}, "M_INVALID_PARAM"),
        ({"room_version": "999"}, "M_UNSUPPORTED_ROOM_VERSION"),
        ({"invite": ["not a user"]}, "M_INVALID_PARAM"),
    ):
        reply = await api.request("POST", C + "/createRoom", user, json=body)
        assert (reply.status, reply.errcode) == (400, errcode), (body, reply)
    named = await api.create_room(
        user, name="n" + secrets.token_hex(2), topic="t", is_direct=False, preset="public_chat"
    )
    assert named.startswith("!")
