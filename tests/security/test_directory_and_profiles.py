"""Who finds whom: the user directory searches only users who share a room with the searcher or are in a
public room unless the operator widens it, and profiles need a token and, when configured, a shared room
(client-server API: user directory, profiles; [access] in chancery.toml)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.client import Api, C, User, q
from tests.conftest import ENGINES
from tests.own_server import RELAXED, client_of, own_server
from tests.serverproc import ServerProcess

OPEN = '[access]\nrequire_auth_for_profile_requests = false\n[directory]\nsearch_scope = "institution"\n'
SHARING = "[access]\nlimit_profile_requests_to_users_who_share_rooms = true\n"


@pytest.fixture(scope="module", params=ENGINES)
def open_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    yield from own_server(request, tmp_path_factory, "open-directory", OPEN, *RELAXED)


@pytest.fixture(scope="module", params=ENGINES)
def sharing_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    yield from own_server(request, tmp_path_factory, "sharing-profiles", SHARING, *RELAXED)


@pytest.fixture
async def open_api(open_server: ServerProcess) -> AsyncIterator[Api]:
    async for client in client_of(open_server):
        yield client


@pytest.fixture
async def sharing_api(sharing_server: ServerProcess) -> AsyncIterator[Api]:
    async for client in client_of(sharing_server):
        yield client


async def search(api: Api, user: User, term: str, limit: int = 50) -> tuple[set[str], bool]:
    body = await api.ok("POST", C + "/user_directory/search", user, json={"search_term": term, "limit": limit})
    return {r["user_id"] for r in body["results"]}, body["limited"]


async def people(api: Api, tag: str, *names: str) -> dict[str, User]:
    return {name: await api.register(f"{name}{tag}") for name in names}


async def deactivate(api: Api, user: User) -> None:
    auth = {"type": "m.login.password", "identifier": {"type": "m.id.user", "user": user.user_id}}
    first = await api.request("POST", C + "/account/deactivate", user, json={})
    body = {"auth": {**auth, "password": user.password, "session": first.body["session"]}}
    await api.ok("POST", C + "/account/deactivate", user, json=body)


async def directory_world(api: Api, tag: str) -> dict[str, User]:
    """alice; bob shares a room with her; dave is in a public room, wendy in a world-readable one; carol
    shares nothing; erin shared a room but is deactivated."""
    who = await people(api, tag, "alice", "bob", "carol", "dave", "wendy", "erin")
    private = await api.create_room(who["alice"], preset="private_chat")
    for name in ("bob", "erin"):
        await api.ok("POST", f"{C}/rooms/{q(private)}/invite", who["alice"], json={"user_id": who[name].user_id})
        await api.join(who[name], private)
    await api.create_room(who["dave"], preset="public_chat")
    readable = await api.create_room(who["wendy"], preset="private_chat")
    await api.ok(
        "PUT",
        f"{C}/rooms/{q(readable)}/state/m.room.history_visibility",
        who["wendy"],
        json={"history_visibility": "world_readable"},
    )
    await api.create_room(who["carol"], preset="private_chat")
    await deactivate(api, who["erin"])
    return who


async def test_directory_finds_only_users_sharing_a_room_or_in_public_rooms(api: Api) -> None:
    tag = secrets.token_hex(4)
    who = await directory_world(api, tag)
    found, limited = await search(api, who["alice"], tag)
    expected = {who[name].user_id for name in ("alice", "bob", "dave", "wendy")}
    assert (found, limited) == (expected, False)
    # Carol, alone in her room, finds herself and the users of public rooms (and nobody finds erin).
    found, _ = await search(api, who["carol"], tag)
    assert found == {who[name].user_id for name in ("carol", "dave", "wendy")}
    # `limited` counts what the searcher may see.
    found, limited = await search(api, who["alice"], tag, limit=3)
    assert len(found) == 3 and limited
    found, limited = await search(api, who["alice"], tag, limit=4)
    assert len(found) == 4 and not limited


async def test_directory_scope_all_finds_every_active_account(open_api: Api) -> None:
    tag = secrets.token_hex(4)
    who = await directory_world(open_api, tag)
    found, _ = await search(open_api, who["alice"], tag)
    assert found == {who[name].user_id for name in ("alice", "bob", "carol", "dave", "wendy")}


async def test_profiles_need_a_token_by_default(api: Api) -> None:
    alice, stranger = await api.register(), await api.register()
    await api.ok("PUT", f"{C}/profile/{q(alice.user_id)}/displayname", alice, json={"displayname": "Alice A."})
    for path in (f"{C}/profile/{q(alice.user_id)}", f"{C}/profile/{q(alice.user_id)}/displayname"):
        anonymous = await api.request("GET", path)
        assert (anonymous.status, anonymous.errcode) == (401, "M_MISSING_TOKEN"), path
        bad_token = await api.request("GET", path, headers={"Authorization": "Bearer nonsense"})
        assert (bad_token.status, bad_token.errcode) == (401, "M_UNKNOWN_TOKEN"), path
        assert (await api.ok("GET", path, stranger))["displayname"] == "Alice A."
    unknown = await api.request("GET", f"{C}/profile/{q('@nobody' + secrets.token_hex(4) + ':localhost')}", stranger)
    assert (unknown.status, unknown.errcode) == (404, "M_NOT_FOUND")


async def test_profiles_without_a_token_when_the_operator_allows_it(open_api: Api) -> None:
    alice = await open_api.register()
    assert "displayname" in await open_api.ok("GET", f"{C}/profile/{q(alice.user_id)}")
    unknown = await open_api.request("GET", f"{C}/profile/{q('@nobody' + secrets.token_hex(4) + ':localhost')}")
    assert (unknown.status, unknown.errcode) == (404, "M_NOT_FOUND")


async def test_profiles_limited_to_users_who_share_a_room(sharing_api: Api) -> None:
    api = sharing_api
    alice, bob, stranger = await api.register(), await api.register(), await api.register()
    room = await api.create_room(alice, preset="public_chat")
    await api.join(bob, room)
    for path in (f"{C}/profile/{q(alice.user_id)}", f"{C}/profile/{q(alice.user_id)}/displayname"):
        assert "displayname" in await api.ok("GET", path, bob)
        assert "displayname" in await api.ok("GET", path, alice)  # one's own, always
        refused = await api.request("GET", path, stranger)
        assert (refused.status, refused.errcode) == (403, "M_FORBIDDEN"), path
        anonymous = await api.request("GET", path)
        assert (anonymous.status, anonymous.errcode) == (401, "M_MISSING_TOKEN"), path
    # An unknown user shares no room either: the answer does not reveal who exists.
    unknown = await api.request("GET", f"{C}/profile/{q('@nobody' + secrets.token_hex(4) + ':localhost')}", alice)
    assert (unknown.status, unknown.errcode) == (403, "M_FORBIDDEN")
    # Sharing ends with leaving.
    await api.ok("POST", f"{C}/rooms/{q(room)}/leave", bob, json={})
    assert (await api.request("GET", f"{C}/profile/{q(alice.user_id)}", bob)).status == 403
