"""Acceptance tests of the homeserver core driven through matrix-nio, the way a real bot or client uses it.

Every step goes through nio's AsyncClient (its request building and response parsing/validation), except
the few endpoints nio has no method for (relations, threads), which use the raw `api` fixture.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import nio  # type: ignore[import-untyped]
import pytest

from tests.client import Api, User, q
from tests.conftest import cleanup_server, make_server
from tests.e2e.nio_accounts import PASSWORD, plain_config
from tests.serverproc import ServerProcess

V1 = "/_matrix/client/v1"
C = "/_matrix/client/v3"
NewClient = Callable[[], Awaitable[nio.AsyncClient]]


def as_user(client: nio.AsyncClient) -> User:
    """The same account and device as a raw-API user, for endpoints nio has no method for."""
    return User(client.user_id, client.access_token, client.device_id, PASSWORD)


@pytest.fixture
async def new_client(server: ServerProcess) -> AsyncIterator[NewClient]:
    """Registers a fresh user through nio (m.login.dummy) and hands back its logged-in client."""
    clients: list[nio.AsyncClient] = []

    async def make() -> nio.AsyncClient:
        client = nio.AsyncClient(server.base_url, "", config=plain_config())
        clients.append(client)
        name = f"nio{len(clients)}_{time.monotonic_ns()}"
        reply = await client.register(name, PASSWORD, device_name="first device")
        assert isinstance(reply, nio.RegisterResponse), reply
        return client

    yield make
    for client in clients:
        await client.close()


async def shared_room(alice: nio.AsyncClient, bob: nio.AsyncClient, **create: Any) -> str:
    created = await alice.room_create(name="Chamber", topic="Acceptance", **create)
    assert isinstance(created, nio.RoomCreateResponse), created
    invited = await alice.room_invite(created.room_id, bob.user_id)
    assert isinstance(invited, nio.RoomInviteResponse), invited
    joined = await bob.join(created.room_id)
    assert isinstance(joined, nio.JoinResponse), joined
    return str(created.room_id)


async def send_text(client: nio.AsyncClient, room_id: str, body: str, **extra: Any) -> str:
    reply = await client.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": body, **extra})
    assert isinstance(reply, nio.RoomSendResponse), reply
    return str(reply.event_id)


async def synced(client: nio.AsyncClient, since: str | None = None, timeout: int = 0) -> nio.SyncResponse:
    reply = await client.sync(timeout=timeout, since=since, full_state=since is None)
    assert isinstance(reply, nio.SyncResponse), reply  # nio validates the response against its schema
    return reply


def timeline_bodies(sync: nio.SyncResponse, room_id: str) -> list[str]:
    room = sync.rooms.join.get(room_id)
    return [e.body for e in room.timeline.events if isinstance(e, nio.RoomMessageText)] if room else []


# --- accounts -------------------------------------------------------------------------------------------


async def test_register_open_and_login_on_two_devices(server: ServerProcess, new_client: NewClient) -> None:
    first = await new_client()
    second = nio.AsyncClient(server.base_url, first.user_id, config=plain_config())
    try:
        login = await second.login(PASSWORD, device_name="second device")
        assert isinstance(login, nio.LoginResponse), login
        assert login.device_id != first.device_id
        wrong = await nio.AsyncClient(server.base_url, first.user_id, config=plain_config()).login("nope")
        assert isinstance(wrong, nio.LoginError) and wrong.status_code == "M_FORBIDDEN"
        devices = await first.devices()
        assert isinstance(devices, nio.DevicesResponse), devices
        names = {d.id: d.display_name for d in devices.devices}
        assert names == {first.device_id: "first device", second.device_id: "second device"}
        whoami = await second.whoami()
        assert isinstance(whoami, nio.WhoamiResponse) and whoami.device_id == second.device_id
    finally:
        await second.close()


async def test_registration_token_flow(tmp_path: Path, server: ServerProcess) -> None:
    # No --open-registration: registering needs a token. (Threads: the PostgreSQL setup runs its own loop.)
    own = await asyncio.to_thread(make_server, tmp_path, server.engine, "--no-rate-limits")
    await asyncio.to_thread(own.start)
    clients = [nio.AsyncClient(own.base_url, "", config=plain_config()) for _ in range(3)]
    try:
        refused = await clients[0].register("nobody", PASSWORD)
        assert isinstance(refused, nio.responses.RegisterErrorResponse), refused
        token = await asyncio.to_thread(own.run_cli, "registration-token", "create", "--uses", "1")
        token = token.strip()
        assert token
        reply = await clients[1].register_with_token("tokenuser", PASSWORD, token)
        assert isinstance(reply, nio.RegisterResponse), reply
        assert reply.user_id.startswith("@tokenuser:")
        assert isinstance(await clients[1].whoami(), nio.WhoamiResponse)
        again = await clients[2].register_with_token("seconduser", PASSWORD, token)
        assert isinstance(again, nio.responses.RegisterErrorResponse), again
        api = Api(own.base_url)
        try:
            path = V1 + "/register/m.login.registration_token/validity"
            assert await api.ok("GET", path, params={"token": token}) == {"valid": False}
        finally:
            await api.close()
    finally:
        for client in clients:
            await client.close()
        await asyncio.to_thread(cleanup_server, own)


# --- messaging and sync ---------------------------------------------------------------------------------


async def test_invite_join_exchange_and_long_poll(new_client: NewClient) -> None:
    alice, bob = await new_client(), await new_client()
    created = await alice.room_create(name="Chamber", topic="Acceptance")
    assert isinstance(created, nio.RoomCreateResponse)
    room_id = created.room_id
    bob_start = await synced(bob)
    assert isinstance(await alice.room_invite(room_id, bob.user_id), nio.RoomInviteResponse)
    invited = await synced(bob, bob_start.next_batch)
    assert room_id in invited.rooms.invite
    invite_types = {e.source["type"] for e in invited.rooms.invite[room_id].invite_state}
    assert {"m.room.name", "m.room.member"} <= invite_types  # nio drops m.room.create; checked raw below
    assert isinstance(await bob.join(room_id), nio.JoinResponse)
    after_join = await synced(bob, invited.next_batch)
    assert room_id in after_join.rooms.join and room_id not in after_join.rooms.invite

    await send_text(alice, room_id, "hello bob")
    await send_text(bob, room_id, "hello alice")
    seen = await synced(bob, after_join.next_batch)
    assert timeline_bodies(seen, room_id) == ["hello bob", "hello alice"]

    # A waiting long-poll returns as soon as the other user sends, well before its timeout.
    started = time.monotonic()
    waiting = asyncio.create_task(bob.sync(timeout=20_000, since=seen.next_batch))
    await asyncio.sleep(0.5)
    assert not waiting.done()
    sent = await send_text(alice, room_id, "are you there?")
    woke = await asyncio.wait_for(waiting, 10)
    assert isinstance(woke, nio.SyncResponse), woke
    assert time.monotonic() - started < 5
    assert [e.event_id for e in woke.rooms.join[room_id].timeline.events] == [sent]
    # Alice's own second device sees everything in a fresh initial sync.
    full = await synced(alice)
    assert timeline_bodies(full, room_id)[-3:] == ["hello bob", "hello alice", "are you there?"]


async def test_pagination_both_directions_and_context(new_client: NewClient) -> None:
    alice, bob = await new_client(), await new_client()
    room_id = await shared_room(alice, bob)
    ids = [await send_text(alice, room_id, f"m{i}") for i in range(10)]
    sync = await synced(bob)
    end = sync.rooms.join[room_id].timeline.prev_batch
    assert end

    # Backwards from the sync's prev_batch... actually from "now": pages of 3 until the room start.
    back: list[str] = []
    token: str | None = sync.next_batch
    for _ in range(20):
        page = await bob.room_messages(room_id, start=token, limit=3)
        assert isinstance(page, nio.RoomMessagesResponse), page
        assert len(page.chunk) <= 3
        back += [e.body for e in page.chunk if isinstance(e, nio.RoomMessageText)]
        if not page.chunk or page.end is None:
            break
        token = page.end
    assert back == [f"m{i}" for i in reversed(range(10))]

    # Forwards from a backwards token, bounded by `to`.
    newest_four = await bob.room_messages(room_id, start=sync.next_batch, limit=4)
    assert isinstance(newest_four, nio.RoomMessagesResponse)
    assert [e.event_id for e in newest_four.chunk] == list(reversed(ids[-4:]))
    forward = await bob.room_messages(
        room_id, start=newest_four.end, end=sync.next_batch, direction=nio.MessageDirection.front, limit=100
    )
    assert isinstance(forward, nio.RoomMessagesResponse), forward
    assert [e.event_id for e in forward.chunk] == ids[-4:]
    limited = await bob.room_messages(room_id, start=newest_four.end, direction=nio.MessageDirection.front, limit=2)
    assert isinstance(limited, nio.RoomMessagesResponse)
    assert [e.event_id for e in limited.chunk] == ids[-4:-2]

    context = await bob.room_context(room_id, ids[5], limit=4)
    assert isinstance(context, nio.RoomContextResponse), context
    assert context.event.event_id == ids[5]
    assert [e.event_id for e in context.events_before] == [ids[4], ids[3]]
    assert [e.event_id for e in context.events_after] == [ids[6], ids[7]]
    assert any(e.source["type"] == "m.room.member" for e in context.state)


async def test_edit_react_redact_reply_thread(new_client: NewClient, api: Api) -> None:
    alice, bob = await new_client(), await new_client()
    room_id = await shared_room(alice, bob)
    original = await send_text(alice, room_id, "draft")
    edit = await send_text(
        alice,
        room_id,
        "* final",
        **{
            "m.new_content": {"msgtype": "m.text", "body": "final"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": original},
        },
    )
    reaction = await bob.room_send(
        room_id, "m.reaction", {"m.relates_to": {"rel_type": "m.annotation", "event_id": original, "key": "👍"}}
    )
    assert isinstance(reaction, nio.RoomSendResponse), reaction

    fetched = await bob.room_get_event(room_id, original)
    assert isinstance(fetched, nio.RoomGetEventResponse), fetched
    relations = fetched.event.source["unsigned"]["m.relations"]
    assert relations["m.replace"]["event_id"] == edit
    replace = await api.ok("GET", f"{V1}/rooms/{q(room_id)}/relations/{q(original)}/m.replace", as_user(bob))
    assert [e["event_id"] for e in replace["chunk"]] == [edit]
    annotations = await api.ok(
        "GET", f"{V1}/rooms/{q(room_id)}/relations/{q(original)}/m.annotation/m.reaction", as_user(alice)
    )
    assert [e["event_id"] for e in annotations["chunk"]] == [reaction.event_id]
    assert annotations["chunk"][0]["content"]["m.relates_to"]["key"] == "👍"
    every = await api.ok("GET", f"{V1}/rooms/{q(room_id)}/relations/{q(original)}", as_user(bob))
    assert {e["event_id"] for e in every["chunk"]} == {edit, reaction.event_id}

    # Reply and thread.
    reply = await send_text(bob, room_id, "a reply", **{"m.relates_to": {"m.in_reply_to": {"event_id": original}}})
    root = await send_text(alice, room_id, "thread root")
    in_thread = await send_text(
        bob,
        room_id,
        "in thread",
        **{
            "m.relates_to": {
                "rel_type": "m.thread",
                "event_id": root,
                "is_falling_back": True,
                "m.in_reply_to": {"event_id": root},
            }
        },
    )
    threads = await api.ok("GET", f"{V1}/rooms/{q(room_id)}/threads", as_user(alice))
    assert [t["event_id"] for t in threads["chunk"]] == [root]
    summary = threads["chunk"][0]["unsigned"]["m.relations"]["m.thread"]
    assert summary["count"] == 1 and summary["latest_event"]["event_id"] == in_thread
    assert summary["current_user_participated"] is True
    thread_events = await api.ok("GET", f"{V1}/rooms/{q(room_id)}/relations/{q(root)}/m.thread", as_user(bob))
    assert [e["event_id"] for e in thread_events["chunk"]] == [in_thread]
    got_reply = await alice.room_get_event(room_id, reply)
    assert isinstance(got_reply, nio.RoomGetEventResponse)
    assert got_reply.event.source["content"]["m.relates_to"]["m.in_reply_to"]["event_id"] == original

    # Redaction: content gone for everyone, redacted_because present.
    redacted = await alice.room_redact(room_id, original, reason="mistake")
    assert isinstance(redacted, nio.RoomRedactResponse), redacted
    for client in (alice, bob):
        seen = await client.room_get_event(room_id, original)
        assert isinstance(seen, nio.RoomGetEventResponse), seen
        assert seen.event.source["content"] == {}
        because = seen.event.source["unsigned"]["redacted_because"]
        assert because["event_id"] == redacted.event_id and because["content"]["reason"] == "mistake"
    page = await bob.room_messages(room_id, limit=50)
    assert isinstance(page, nio.RoomMessagesResponse)
    in_history = next(e for e in page.chunk if e.event_id == original)
    assert isinstance(in_history, nio.RedactedEvent)
    # Bob may not redact Alice's event (no power), and gets a Matrix error.
    refused = await bob.room_redact(room_id, root)
    assert isinstance(refused, nio.RoomRedactError) and refused.status_code == "M_FORBIDDEN"


async def test_state_and_profile(new_client: NewClient, api: Api) -> None:
    alice, bob = await new_client(), await new_client()
    room_id = await shared_room(alice, bob)
    start = await synced(bob)
    put = await alice.room_put_state(room_id, "m.room.topic", {"topic": "New topic"})
    assert isinstance(put, nio.RoomPutStateResponse), put
    custom = await alice.room_put_state(room_id, "org.example.setting", {"level": 3}, state_key="a")
    assert isinstance(custom, nio.RoomPutStateResponse), custom
    denied = await bob.room_put_state(room_id, "m.room.name", {"name": "hijacked"})
    assert isinstance(denied, nio.RoomPutStateError) and denied.status_code == "M_FORBIDDEN"
    assert isinstance(await alice.set_displayname("Alice Archivist"), nio.ProfileSetDisplayNameResponse)

    later = await synced(bob, start.next_batch)
    events = [e.source for e in later.rooms.join[room_id].timeline.events]
    topic = next(e for e in events if e["type"] == "m.room.topic")
    assert topic["content"] == {"topic": "New topic"}
    member = next(e for e in events if e["type"] == "m.room.member" and e["state_key"] == alice.user_id)
    assert member["content"]["displayname"] == "Alice Archivist"
    assert member["content"]["membership"] == "join"
    state = await bob.room_get_state(room_id)
    assert isinstance(state, nio.RoomGetStateResponse), state
    by_key = {(e["type"], e["state_key"]): e for e in state.events}
    assert by_key[("org.example.setting", "a")]["content"] == {"level": 3}
    assert by_key[("m.room.member", alice.user_id)]["content"]["displayname"] == "Alice Archivist"
    # An empty state key spelt as a trailing slash, as matrix-js-sdk (Element) sends it.
    room_path = f"{C}/rooms/{q(room_id)}/state"
    await api.ok("PUT", f"{room_path}/m.room.topic/", as_user(alice), json={"topic": "Slashed"})
    assert await api.ok("GET", f"{room_path}/m.room.topic/", as_user(bob)) == {"topic": "Slashed"}
    profile = await bob.get_displayname(alice.user_id)
    assert isinstance(profile, nio.ProfileGetDisplayNameResponse) and profile.displayname == "Alice Archivist"


async def test_typing_appears_and_expires(new_client: NewClient) -> None:
    alice, bob = await new_client(), await new_client()
    room_id = await shared_room(alice, bob)
    start = await synced(bob)
    assert isinstance(await alice.room_typing(room_id, True, timeout=1500), nio.RoomTypingResponse)
    typing = await synced(bob, start.next_batch)
    events = typing.rooms.join[room_id].ephemeral
    assert any(isinstance(e, nio.TypingNoticeEvent) and e.users == [alice.user_id] for e in events)
    # The notice expires on its own: a long-poll wakes with an empty typing list.
    stopped = await synced(bob, typing.next_batch, timeout=8000)
    later = stopped.rooms.join[room_id].ephemeral if room_id in stopped.rooms.join else []
    assert any(isinstance(e, nio.TypingNoticeEvent) and e.users == [] for e in later), later
    refused = await bob.room_typing("!nope:example.org", True)
    assert isinstance(refused, nio.RoomTypingError)


async def test_receipts_public_and_private(new_client: NewClient) -> None:
    alice, bob = await new_client(), await new_client()
    room_id = await shared_room(alice, bob)
    first = await send_text(alice, room_id, "read me")
    second = await send_text(alice, room_id, "read me privately")
    alice_start, bob_start = await synced(alice), await synced(bob)
    receipt = await bob.update_receipt_marker(room_id, first)
    assert isinstance(receipt, nio.UpdateReceiptMarkerResponse), receipt
    private = await bob.update_receipt_marker(room_id, second, receipt_type=nio.ReceiptType.read_private)
    assert isinstance(private, nio.UpdateReceiptMarkerResponse), private
    markers = await bob.room_read_markers(room_id, fully_read_event=second)
    assert isinstance(markers, nio.RoomReadMarkersResponse), markers

    def receipts(sync: nio.SyncResponse) -> dict[str, Any]:
        room = sync.rooms.join.get(room_id)
        found: dict[str, Any] = {}
        for event in room.ephemeral if room else []:
            if isinstance(event, nio.ReceiptEvent):
                for r in event.receipts:
                    found.setdefault(r.receipt_type, {})[r.event_id] = r.user_id
        return found

    seen_by_alice = receipts(await synced(alice, alice_start.next_batch))
    assert seen_by_alice.get("m.read") == {first: bob.user_id}
    assert "m.read.private" not in seen_by_alice
    bobs_sync = await synced(bob, bob_start.next_batch)
    seen_by_bob = receipts(bobs_sync)
    assert seen_by_bob.get("m.read.private") == {second: bob.user_id}
    fully_read = [e for e in bobs_sync.rooms.join[room_id].account_data if isinstance(e, nio.FullyReadEvent)]
    assert fully_read and fully_read[0].event_id == second


async def test_leave_kick_ban_forget_with_power_levels(new_client: NewClient) -> None:
    admin, member, other = await new_client(), await new_client(), await new_client()
    room_id = await shared_room(admin, member, preset=nio.RoomPreset.public_chat)
    assert isinstance(await other.join(room_id), nio.JoinResponse)

    kick = await member.room_kick(room_id, other.user_id)
    assert isinstance(kick, nio.RoomKickError) and kick.status_code == "M_FORBIDDEN"
    ban = await member.room_ban(room_id, other.user_id)
    assert isinstance(ban, nio.RoomBanError) and ban.status_code == "M_FORBIDDEN"

    other_start = await synced(other)
    kicked = await admin.room_kick(room_id, other.user_id, reason="out")
    assert isinstance(kicked, nio.RoomKickResponse), kicked
    other_sync = await synced(other, other_start.next_batch)
    assert room_id in other_sync.rooms.leave
    leave_events = [e.source for e in other_sync.rooms.leave[room_id].timeline.events]
    assert any(e["type"] == "m.room.member" and e["content"]["membership"] == "leave" for e in leave_events)
    assert isinstance(await other.join(room_id), nio.JoinResponse)  # a kick is not a ban
    banned = await admin.room_ban(room_id, other.user_id, reason="gone")
    assert isinstance(banned, nio.RoomBanResponse), banned
    rejoin = await other.join(room_id)
    assert isinstance(rejoin, nio.JoinError) and rejoin.status_code == "M_FORBIDDEN"

    member_start = await synced(member)
    assert isinstance(await member.room_leave(room_id), nio.RoomLeaveResponse)
    after = await synced(member, member_start.next_batch)
    assert room_id in after.rooms.leave and room_id not in after.rooms.join
    assert isinstance(await member.room_forget(room_id), nio.RoomForgetResponse)
    forgotten = await synced(member)
    assert room_id not in forgotten.rooms.leave and room_id not in forgotten.rooms.join
    joined = await member.joined_rooms()
    assert isinstance(joined, nio.JoinedRoomsResponse) and room_id not in joined.rooms
    # Forgetting a room one is still joined to is refused.
    still = await admin.room_forget(room_id)
    assert isinstance(still, nio.RoomForgetError)


async def test_sync_shape_matches_what_clients_expect(new_client: NewClient, api: Api) -> None:
    alice, bob = await new_client(), await new_client()
    room_id = await shared_room(alice, bob)
    await send_text(alice, room_id, "shape")
    invite_room = await alice.room_create(name="Invite only")
    assert isinstance(invite_room, nio.RoomCreateResponse)
    await alice.room_invite(invite_room.room_id, bob.user_id)
    body = await api.sync(as_user(bob))
    assert isinstance(body["next_batch"], str)
    joined = body["rooms"]["join"][room_id]
    assert {"timeline", "state", "ephemeral", "account_data", "unread_notifications", "summary"} <= joined.keys()
    assert isinstance(joined["timeline"]["events"], list)
    assert isinstance(joined["timeline"]["limited"], bool)
    assert isinstance(joined["timeline"]["prev_batch"], str)
    assert isinstance(joined["state"]["events"], list)
    assert isinstance(joined["ephemeral"]["events"], list)
    assert isinstance(joined["account_data"]["events"], list)
    assert joined["unread_notifications"].keys() >= {"notification_count", "highlight_count"}
    assert joined["unread_notifications"]["notification_count"] >= 1
    assert joined["summary"]["m.joined_member_count"] == 2
    for event in joined["timeline"]["events"]:
        assert {"event_id", "type", "sender", "origin_server_ts", "content"} <= event.keys()
        assert "room_id" not in event  # sync events are in the "client event without room ID" format
    invite = body["rooms"]["invite"][invite_room.room_id]
    assert all({"type", "state_key", "sender", "content"} <= e.keys() for e in invite["invite_state"]["events"])
    invite_types = {e["type"] for e in invite["invite_state"]["events"]}
    assert {"m.room.create", "m.room.name", "m.room.join_rules", "m.room.member"} <= invite_types
    assert isinstance(body.get("account_data", {}).get("events"), list)
    assert isinstance(body.get("presence", {}).get("events"), list)
