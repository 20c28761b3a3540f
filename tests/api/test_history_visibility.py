"""History visibility: who may read which events and state of a room (client-server API: room history visibility)."""

from __future__ import annotations

from typing import Any

from tests.client import Api, C, User, q


async def room_with_visibility(api: Api, owner: User, visibility: str) -> str:
    return await api.create_room(
        owner,
        preset="public_chat",
        initial_state=[
            {"type": "m.room.history_visibility", "state_key": "", "content": {"history_visibility": visibility}}
        ],
    )


async def message_bodies(api: Api, user: User, room: str) -> list[str]:
    reply = await api.ok("GET", f"{C}/rooms/{q(room)}/messages", user, params={"dir": "b", "limit": "100"})
    return [e["content"]["body"] for e in reversed(reply["chunk"]) if e["type"] == "m.room.message"]


async def status_of(api: Api, user: User, path: str) -> tuple[int, str | None]:
    reply = await api.request("GET", path, user)
    return reply.status, reply.errcode


async def test_non_member_is_refused_everything(api: Api) -> None:
    owner, stranger = await api.register(), await api.register()
    room = await room_with_visibility(api, owner, "shared")
    event_id = await api.send(owner, room, "private matter")
    r = f"{C}/rooms/{q(room)}"
    paths = [
        f"{r}/messages",
        f"{r}/state",
        f"{r}/state/m.room.create/",
        f"{r}/state/m.room.name",
        f"{r}/members",
        f"{r}/joined_members",
        f"{r}/context/{q(event_id)}",
        f"{r}/event/{q(event_id)}",
        f"/_matrix/client/v1/rooms/{q(room)}/relations/{q(event_id)}",
        f"/_matrix/client/v1/rooms/{q(room)}/threads",
    ]
    for path in paths:
        assert await status_of(api, stranger, path) == (403, "M_FORBIDDEN"), path
    # An unknown room is refused the same way: its existence is not disclosed.
    for path in (f"{C}/rooms/{q('!unknown:localhost')}/messages", f"{C}/rooms/{q('!unknown:localhost')}/state"):
        assert await status_of(api, stranger, path) == (403, "M_FORBIDDEN"), path


async def test_joined_visibility_hides_events_before_join(api: Api) -> None:
    owner, late = await api.register(), await api.register()
    room = await room_with_visibility(api, owner, "joined")
    before = await api.send(owner, room, "before")
    await api.join(late, room)
    await api.send(owner, room, "after")
    assert await message_bodies(api, late, room) == ["after"]
    assert await message_bodies(api, owner, room) == ["before", "after"]
    hidden = await api.request("GET", f"{C}/rooms/{q(room)}/event/{q(before)}", late)
    assert (hidden.status, hidden.errcode) in ((403, "M_FORBIDDEN"), (404, "M_NOT_FOUND"))
    context = await api.request("GET", f"{C}/rooms/{q(room)}/context/{q(before)}", late)
    assert context.status in (403, 404) and context.errcode in ("M_FORBIDDEN", "M_NOT_FOUND")
    initial = await api.sync(late)
    timeline = initial["rooms"]["join"][room]["timeline"]["events"]
    assert before not in [e["event_id"] for e in timeline]


async def test_shared_visibility_shows_earlier_events(api: Api) -> None:
    owner, late = await api.register(), await api.register()
    room = await room_with_visibility(api, owner, "shared")
    before = await api.send(owner, room, "before")
    await api.join(late, room)
    await api.send(owner, room, "after")
    assert await message_bodies(api, late, room) == ["before", "after"]
    event = await api.ok("GET", f"{C}/rooms/{q(room)}/event/{q(before)}", late)
    assert event["content"]["body"] == "before"


async def test_invited_visibility_shows_from_invite(api: Api) -> None:
    owner, guest = await api.register(), await api.register()
    room = await room_with_visibility(api, owner, "invited")
    await api.send(owner, room, "before invite")
    await api.ok("POST", f"{C}/rooms/{q(room)}/invite", owner, json={"user_id": guest.user_id})
    await api.send(owner, room, "after invite")
    await api.join(guest, room)
    await api.send(owner, room, "after join")
    assert await message_bodies(api, guest, room) == ["after invite", "after join"]


async def test_former_member_sees_history_up_to_leave(api: Api) -> None:
    owner, leaver = await api.register(), await api.register()
    room = await room_with_visibility(api, owner, "shared")
    await api.join(leaver, room)
    await api.send(owner, room, "while joined")
    await api.ok("POST", f"{C}/rooms/{q(room)}/leave", leaver, json={})
    after = await api.send(owner, room, "after leaving")
    await api.ok("PUT", f"{C}/rooms/{q(room)}/state/m.room.topic", owner, json={"topic": "secret topic"})
    assert await message_bodies(api, leaver, room) == ["while joined"]
    assert (await api.request("GET", f"{C}/rooms/{q(room)}/event/{q(after)}", leaver)).status in (403, 404)
    state = await api.ok("GET", f"{C}/rooms/{q(room)}/state", leaver)
    assert "m.room.topic" not in {e["type"] for e in state}  # state as it was when they left
    topic = await api.request("GET", f"{C}/rooms/{q(room)}/state/m.room.topic", leaver)
    assert topic.status == 404
    members = await api.ok("GET", f"{C}/rooms/{q(room)}/members", leaver)
    mine = next(e for e in members["chunk"] if e["state_key"] == leaver.user_id)
    assert mine["content"]["membership"] == "leave"


async def test_world_readable_lets_non_members_read(api: Api) -> None:
    owner, reader = await api.register(), await api.register()
    room = await room_with_visibility(api, owner, "world_readable")
    event_id = await api.send(owner, room, "public record")
    assert await message_bodies(api, reader, room) == ["public record"]
    event = await api.ok("GET", f"{C}/rooms/{q(room)}/event/{q(event_id)}", reader)
    assert event["content"]["body"] == "public record"
    state: list[dict[str, Any]] = await api.ok("GET", f"{C}/rooms/{q(room)}/state", reader)
    assert "m.room.create" in {e["type"] for e in state}
    context = await api.ok("GET", f"{C}/rooms/{q(room)}/context/{q(event_id)}", reader)
    assert context["event"]["event_id"] == event_id
    # Reading is not membership: the reader cannot post.
    denied = await api.request(
        "PUT", f"{C}/rooms/{q(room)}/send/m.room.message/t1", reader, json={"msgtype": "m.text", "body": "x"}
    )
    assert (denied.status, denied.errcode) == (403, "M_FORBIDDEN")
    # Switching visibility back to shared closes the room to non-members again.
    await api.ok(
        "PUT",
        f"{C}/rooms/{q(room)}/state/m.room.history_visibility",
        owner,
        json={"history_visibility": "shared"},
    )
    assert (await api.request("GET", f"{C}/rooms/{q(room)}/messages", reader)).status == 403
