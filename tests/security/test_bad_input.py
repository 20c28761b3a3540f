"""Malformed input on every route: always a 4xx Matrix error in JSON with an errcode, never a 500 or a non-JSON body.

The cases are generated from the route table itself (chancery.api.routes), so a new endpoint is covered the day it
is added: each path parameter is substituted with plausible values (a real room, event, device...) and with
implausible ones, and each body-taking method gets malformed bodies; each GET gets garbage query parameters.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

import pytest

from chancery.api.routes import ALL_ROUTES
from chancery.http.routing import Route
from tests.client import Api, C, Reply, User, q
from tests.serverproc import ServerProcess

PARAM = re.compile(r"\{([a-z_]+)(?::[^}]*)?\}")
BODY_METHODS = {"PUT", "POST", "DELETE"}
# Routes whose purpose is to end the session: run with a throwaway login so the shared user survives.
SESSION_ENDING = {("POST", C + "/logout"), ("POST", C + "/logout/all")}
# Routes whose request has no JSON body in the spec (or a raw one, like media uploads): ignoring garbage is fine.
NO_JSON_BODY = {("POST", C + "/rooms/{room_id}/forget"), *SESSION_ENDING}
RAW_BODY_PREFIXES = ("/_matrix/media/",)

IMPLAUSIBLE = [
    "garbage",
    "%00",
    "..%2F..%2Fetc",
    "%FF%FE",
    "x" * 3000,
    "!nocolon",
    "@bad user:here",
    "$",
    "%E2%98%83",
    "%25%25",
]
MALFORMED_BODIES: list[tuple[str, bytes]] = [
    ("not json", b"this is {not json"),
    ("json array", b"[1, 2, 3]"),
    ("json string", b'"a string"'),
    ("json number", b"42"),
    ("truncated", b'{"a": '),
    ("nan", b'{"a": NaN}'),
    ("invalid utf8", b'{"a": "\xff\xfe"}'),
    ("deep nesting", b'{"a": ' * 2000 + b"1" + b"}" * 2000),
]
BODY_KEYS = (
    "user_id",
    "reason",
    "displayname",
    "avatar_url",
    "presence",
    "status_msg",
    "typing",
    "timeout",
    "devices",
    "display_name",
    "room_id",
    "visibility",
    "search_term",
    "limit",
    "filter",
    "since",
    "server",
    "enabled",
    "actions",
    "pattern",
    "conditions",
    "order",
    "m.fully_read",
    "m.read",
    "m.read.private",
    "thread_id",
    "new_password",
    "logout_devices",
    "auth",
    "username",
    "password",
    "device_id",
    "identifier",
    "type",
    "name",
    "topic",
    "preset",
    "invite",
    "initial_state",
    "creation_content",
    "power_level_override",
    "room_version",
    "room_alias_name",
    "is_direct",
    "msgtype",
    "body",
)
# Every known body key at once with a wrong (or hostile) value: wrong type, null, huge string, float, 2**60.
HOSTILE_VALUES: tuple[Any, ...] = (
    123,
    None,
    [1],
    {"x": {}},
    True,
    "x" * 20_000,
    1.5,
    2**60,
    "nul\x00byte",
    {"k\x00": "v"},
)
WRONG_TYPES: list[dict[str, Any]] = [dict.fromkeys(BODY_KEYS, value) for value in HOSTILE_VALUES]
BAD_QUERIES: list[dict[str, str]] = [
    {"limit": "abc"},
    {"limit": "-5"},
    {"limit": "99999999999999999999999"},
    {"from": "garbage", "to": "%%%"},
    {"dir": "sideways"},
    {"filter": "{not json"},
    {"filter": '{"limit": "x", "types": 5}'},
    {"filter": "[1,2]"},
    {"timeout": "nan"},
    {"since": "zzz", "full_state": "maybe"},
    {"at": "s-1", "membership": "nonsense", "not_membership": "1"},
    {"format": "weird", "recurse": "perhaps"},
    {"username": "a" * 2000, "token": "b" * 2000},
    {"server": "bad server", "kind": "guest"},
    {"set_presence": "everywhere"},
]


@dataclass
class World:
    """A user (shared by the route cases of one server) with a fresh room, event, alias and filter per case."""

    user: User
    room: str
    event: str
    alias: str
    filter_id: str


_users: dict[str, User] = {}  # registering (password hashing) is the slow part; HTTP tokens outlive event loops


async def world_for(api: Api, server: ServerProcess) -> World:
    if server.base_url not in _users:
        _users[server.base_url] = await api.register()
    user = _users[server.base_url]
    domain = user.user_id.split(":", 1)[1]
    alias_name = "bad" + secrets.token_hex(4)
    room = await api.create_room(user, room_alias_name=alias_name)
    event = await api.send(user, room, "target")
    created = await api.ok("POST", f"{C}/user/{q(user.user_id)}/filter", user, json={"room": {}})
    return World(user, room, event, f"#{alias_name}:{domain}", created["filter_id"])


def plausible(name: str, world: World) -> str:
    values = {
        "room_id": world.room,
        "room_id_or_alias": world.room,
        "event_id": world.event,
        "user_id": world.user.user_id,
        "device_id": world.user.device_id,
        "alias": world.alias,
        "filter_id": world.filter_id,
        "txn_id": "txn" + secrets.token_hex(6),
        "event_type": "org.example.bad_input",
        "type": "org.example.bad_input",
        "state_key": "",
        "field": "displayname",
        "scope": "global",
        "kind": "content",
        "rule_id": "badinput",
        "attr": "enabled",
        "tag": "u.bad",
        "receipt_type": "m.read",
        "rel_type": "m.thread",
    }
    return values.get(name, "value")


def fill(route: Route, world: World, overrides: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in overrides:
            return overrides[name]  # already percent-encoded on purpose: it is path garbage
        return q(plausible(name, world))

    return PARAM.sub(value, route.path)


def check(reply: Reply, what: str, *, allow_success: bool) -> None:
    what = what[:200]
    assert reply.status < 500, f"{what}: {reply.status} {reply.body!r:.300}"
    assert isinstance(reply.body, dict | list), f"{what}: non-JSON body {reply.body!r:.300}"
    if reply.status >= 400:
        body = reply.body
        assert isinstance(body, dict), f"{what}: {body!r:.300}"
        if reply.status == 401 and "flows" in body:
            return  # a user-interactive auth challenge: the spec's 401 body carries flows, errcode only on failure
        assert isinstance(body.get("errcode"), str), f"{what}: {body!r:.300}"
        assert body["errcode"].startswith("M_"), f"{what}: {body!r:.300}"
    else:
        assert allow_success, f"{what}: accepted with {reply.status} {reply.body!r:.300}"


def route_id(route: Route) -> str:
    return f"{route.method} {route.path.replace('/_matrix/client', '')}"


# Every Matrix route (the /health probe for load balancers answers plain text by design).
ROUTES = [r for r in ALL_ROUTES() if r.path.startswith(("/_matrix/", "/.well-known/"))]


@pytest.mark.parametrize("route", ROUTES, ids=route_id)
async def test_route_survives_malformed_input(api: Api, server: ServerProcess, route: Route) -> None:
    world = await world_for(api, server)
    user = world.user
    if (route.method, route.path) in SESSION_ENDING:
        user = await api.login(world.user)
    headers = {"Content-Type": "application/json"}

    # Implausible path parameters, one parameter at a time, with an otherwise valid-looking body.
    for name in PARAM.findall(route.path):
        for garbage in IMPLAUSIBLE:
            path = fill(route, world, {name: garbage})
            body = b"{}" if route.method in BODY_METHODS else None
            reply = await api.request(route.method, path, user, data=body, headers=headers)
            # Some parameters are free-form (a txn ID, an account data type, a tag): garbage may be accepted there.
            check(reply, f"{route_id(route)} with {name}={garbage[:20]}", allow_success=True)

    path = fill(route, world, {})
    if route.method in BODY_METHODS and (route.method, route.path) not in SESSION_ENDING:
        for label, raw in MALFORMED_BODIES:
            reply = await api.request(route.method, path, user, data=raw, headers=headers)
            # DELETE routes and body-less routes may ignore the body; the others must refuse what they cannot parse.
            ignores_body = (
                route.method == "DELETE"
                or (route.method, route.path) in NO_JSON_BODY
                or route.path.startswith(RAW_BODY_PREFIXES)
            )
            check(reply, f"{route_id(route)} with {label} body", allow_success=ignores_body)
        for wrong in WRONG_TYPES:
            reply = await api.request(route.method, path, user, json=wrong)
            check(reply, f"{route_id(route)} with wrong types", allow_success=True)
    if route.method == "GET":
        for params in BAD_QUERIES:
            reply = await api.request("GET", path, user, params=params)
            check(reply, f"{route_id(route)} with query {params}", allow_success=True)
    # Whatever happened above, the server still answers.
    assert (await api.request("GET", "/_matrix/client/versions")).status == 200


async def test_event_content_values(api: Api, server: ServerProcess) -> None:
    world = await world_for(api, server)
    send = f"{C}/rooms/{q(world.room)}/send/m.room.message/"
    cases: list[tuple[str, bytes, int, str]] = [
        ("float", b'{"body": "x", "n": 1.5}', 400, "M_BAD_JSON"),
        ("too big int", b'{"body": "x", "n": 1152921504606846976}', 400, "M_BAD_JSON"),
        ("too small int", b'{"body": "x", "n": -1152921504606846976}', 400, "M_BAD_JSON"),
        ("NaN", b'{"body": "x", "n": NaN}', 400, "M_NOT_JSON"),
        ("Infinity", b'{"body": "x", "n": Infinity}', 400, "M_NOT_JSON"),
        ("nested float", b'{"body": "x", "a": [{"b": 0.1}]}', 400, "M_BAD_JSON"),
        ("NUL in a string", b'{"body": "x\\u0000y"}', 400, "M_BAD_JSON"),
        ("deeply nested", b'{"body": "x", "a": ' + b"[" * 1000 + b"]" * 1000 + b"}", 400, "M_BAD_JSON"),
        ("event too large", b'{"body": "' + b"x" * 70_000 + b'"}', 413, "M_TOO_LARGE"),
        ("request too large", b'{"body": "' + b"x" * 2_000_000 + b'"}', 413, "M_TOO_LARGE"),
    ]
    for label, raw, status, errcode in cases:
        reply = await api.request(
            "PUT", send + secrets.token_hex(6), world.user, data=raw, headers={"Content-Type": "application/json"}
        )
        assert (reply.status, reply.errcode) == (status, errcode), (label, reply.status, f"{reply.body!r:.200}")
    state = await api.request(
        "PUT", f"{C}/rooms/{q(world.room)}/state/org.example.big", world.user, json={"v": "x" * 70_000}
    )
    assert (state.status, state.errcode) == (413, "M_TOO_LARGE")
    fine = await api.request(
        "PUT", send + secrets.token_hex(6), world.user, json={"body": "x", "n": 2**53 - 1, "m": -(2**53) + 1}
    )
    assert fine.status == 200, fine


async def test_invalid_identifiers_in_bodies(api: Api, server: ServerProcess) -> None:
    world = await world_for(api, server)
    room = f"{C}/rooms/{q(world.room)}"
    for bad_user in ("notauser", "@", "@x", "@bad user:here", "@" + "a" * 300 + ":x", ""):
        for action in ("invite", "kick", "ban", "unban"):
            reply = await api.request("POST", f"{room}/{action}", world.user, json={"user_id": bad_user})
            assert reply.status == 400 and reply.errcode in ("M_INVALID_PARAM", "M_BAD_JSON", "M_MISSING_PARAM"), (
                action,
                bad_user,
                reply,
            )
    for bad_room in ("garbage", "!", "#nocolon", "!x:" + "a" * 300):
        reply = await api.request("POST", f"{C}/join/{q(bad_room)}", world.user, json={})
        assert 400 <= reply.status < 500 and reply.errcode, (bad_room, reply)
    for bad_event in ("garbage", "$", "$" + "x" * 300):
        reply = await api.request("GET", f"{room}/event/{q(bad_event)}", world.user)
        assert reply.status in (400, 404) and reply.errcode, (bad_event, reply)
