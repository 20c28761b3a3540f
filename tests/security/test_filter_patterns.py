"""Event filters from clients cannot freeze the server: type patterns are globs matched in linear time,
and filters are bounded in size (client-server API: filtering).

On a server of its own: were a pattern matched by a backtracking regular expression, the crafted one below
would keep the server's only event loop busy for longer than the age of the universe.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.client import Api, C, q
from tests.conftest import ENGINES
from tests.own_server import client_of, own_server
from tests.serverproc import ServerProcess

LONG_TYPE = "a" * 255  # the longest event type a client may send
CRAFTED = "a*" * 127 + "b"  # 255 characters; matches nothing without a "b"
MATCHING = "a*" * 127 + "a"  # needs 128 "a"s: matches LONG_TYPE
ANSWER_WITHIN_S = 30  # generous for a loaded machine; a correct server answers in milliseconds


@pytest.fixture(scope="module", params=ENGINES)
def filter_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    yield from own_server(request, tmp_path_factory, "filters", "", "--open-registration")


@pytest.fixture
async def own(filter_server: ServerProcess) -> AsyncIterator[Api]:
    async for client in client_of(filter_server):
        yield client


async def test_crafted_type_patterns_answer_at_once_and_correctly(own: Api) -> None:
    user = await own.register()
    room = await own.create_room(user)
    long_event = await own.send(user, room, event_type=LONG_TYPE, content={"x": 1})
    message = await own.send(user, room, "plain message")
    messages = f"{C}/rooms/{q(room)}/messages"

    async def ids(definition: dict[str, list[str]]) -> set[str]:
        params = {"dir": "b", "filter": json.dumps(definition)}
        # Bounded, so that a server stuck matching fails the test instead of hanging it.
        body = await asyncio.wait_for(own.ok("GET", messages, user, params=params), ANSWER_WITHIN_S)
        return {e["event_id"] for e in body["chunk"]}

    assert long_event not in await ids({"types": [CRAFTED]})
    assert long_event in await ids({"types": [MATCHING]})
    kept = await ids({"not_types": [CRAFTED, "m.room.*"]})
    assert long_event in kept and message not in kept
    context = await own.ok(
        "GET", f"{C}/rooms/{q(room)}/context/{q(message)}", user, params={"filter": json.dumps({"types": [CRAFTED]})}
    )
    assert long_event not in {e["event_id"] for e in context["events_before"]}
    stored_filter = {"room": {"timeline": {"types": [CRAFTED] * 100, "limit": 50}}}
    created = await own.ok("POST", f"{C}/user/{q(user.user_id)}/filter", user, json=stored_filter)
    inline_filter = json.dumps({"room": {"timeline": {"types": [CRAFTED], "limit": 50}}})
    for sync_filter in (inline_filter, created["filter_id"]):
        body = await own.sync(user, filter=sync_filter)
        timeline = body.get("rooms", {}).get("join", {}).get(room, {}).get("timeline", {"events": []})["events"]
        assert long_event not in {e["event_id"] for e in timeline}
    # The server is still responsive.
    assert (await own.request("GET", "/_matrix/client/versions")).status == 200


async def test_oversized_filters_are_refused(own: Api) -> None:
    user = await own.register()
    room = await own.create_room(user)
    for definition in ({"types": ["x"] * 101}, {"not_types": ["a" * 256]}, {"senders": ["@a:b"] * 1001}):
        stored = await own.request(
            "POST", f"{C}/user/{q(user.user_id)}/filter", user, json={"room": {"timeline": definition}}
        )
        assert (stored.status, stored.errcode) == (400, "M_BAD_JSON"), definition
        if "senders" not in definition:  # a thousand user IDs would not fit in a URL anyway
            inline = await own.request(
                "GET", f"{C}/rooms/{q(room)}/messages", user, params={"filter": json.dumps(definition)}
            )
            assert (inline.status, inline.errcode) == (400, "M_BAD_JSON"), definition
