"""Relations, threads, edits and redactions stay inside their room and within what the viewer may see.

An event of one room must never reach anyone through another room (as a relation, a thread root, a bundled
thread summary or edit), and a member who left must not learn of replies, edits or redactions made after
leaving through the aggregations bundled with events they may still see (client-server API: forming
relationships between events, aggregations, threading, history visibility).
"""

from __future__ import annotations

import secrets
from typing import Any

from tests.client import Api, C, User, q
from tests.serverproc import ServerProcess
from tests.sql import sql

V1 = "/_matrix/client/v1"


def thread_reply(root: str, body: str) -> dict[str, Any]:
    return {"msgtype": "m.text", "body": body, "m.relates_to": {"rel_type": "m.thread", "event_id": root}}


def edit(original: str, body: str) -> dict[str, Any]:
    return {
        "msgtype": "m.text",
        "body": "* " + body,
        "m.new_content": {"msgtype": "m.text", "body": body},
        "m.relates_to": {"rel_type": "m.replace", "event_id": original},
    }


async def send_raw(api: Api, user: User, room: str, content: dict[str, Any]) -> tuple[int, Any]:
    reply = await api.request(
        "PUT", f"{C}/rooms/{q(room)}/send/m.room.message/{secrets.token_hex(6)}", user, json=content
    )
    return reply.status, reply.body


def everything_said(value: Any) -> str:
    """Every string anywhere in a response, to look for text that must not be in it."""
    if isinstance(value, dict):
        return " ".join(everything_said(k) + " " + everything_said(v) for k, v in value.items())
    if isinstance(value, list):
        return " ".join(everything_said(v) for v in value)
    return str(value)


async def views_of_room(api: Api, user: User, room: str, event_id: str) -> dict[str, Any]:
    """What a client reads about `event_id` and its room through every endpoint that serves events."""
    r = f"{C}/rooms/{q(room)}"
    views: dict[str, Any] = {
        "event": await api.request("GET", f"{r}/event/{q(event_id)}", user),
        "context": await api.request("GET", f"{r}/context/{q(event_id)}", user),
        "messages": await api.request("GET", f"{r}/messages", user, params={"dir": "b", "limit": "50"}),
        "relations": await api.request("GET", f"{V1}/rooms/{q(room)}/relations/{q(event_id)}", user),
        "threads": await api.request("GET", f"{V1}/rooms/{q(room)}/threads", user),
        "sync": await api.request(
            "GET", C + "/sync", user, params={"filter": '{"room": {"include_leave": true, "timeline": {"limit": 50}}}'}
        ),
    }
    found = {name: reply.body for name, reply in views.items()}
    rooms = found["sync"]["rooms"]
    found["sync"] = rooms.get("join", {}).get(room) or rooms.get("leave", {}).get(room)  # only this room's part
    assert found["sync"] is not None
    return found


async def two_rooms(api: Api) -> tuple[User, User, str, str, str]:
    """Alice's room with a secret message, Mallory is not in it; Mallory's public room, Alice is in it."""
    alice, mallory = await api.register(), await api.register()
    secret_room = await api.create_room(alice)
    secret = await api.send(alice, secret_room, "the secret plan")
    other_room = await api.create_room(mallory, preset="public_chat")
    await api.join(alice, other_room)
    return alice, mallory, secret_room, secret, other_room


async def test_a_relation_to_an_event_of_another_room_is_refused_like_one_to_an_unknown_event(api: Api) -> None:
    _alice, mallory, _secret_room, secret, other_room = await two_rooms(api)
    unknown = "$" + secrets.token_urlsafe(32)
    answers = []
    for target in (secret, unknown):
        for content in (thread_reply(target, "hijack"), edit(target, "hijack")):
            status, body = await send_raw(api, mallory, other_room, content)
            answers.append((status, body.get("errcode")))
    # The spec ignores relations across rooms; like Synapse we refuse them when sent, and the same way as a
    # relation to an event that does not exist, so the answer reveals nothing about the other room.
    assert set(answers) == {(400, "M_UNKNOWN")}, answers
    # Relations within the room still work.
    own = await api.send(mallory, other_room, "root")
    assert (await send_raw(api, mallory, other_room, thread_reply(own, "fine")))[0] == 200


async def test_a_thread_into_another_room_does_not_reveal_its_root(api: Api) -> None:
    alice, mallory, secret_room, secret, other_room = await two_rooms(api)
    await send_raw(api, mallory, other_room, thread_reply(secret, "tell me more"))
    await send_raw(api, mallory, other_room, edit(secret, "rewritten"))
    # Mallory, who never was in the secret room, sees nothing of it through her own room.
    threads = await api.ok("GET", f"{V1}/rooms/{q(other_room)}/threads", mallory)
    assert "the secret plan" not in everything_said(threads)
    assert secret not in everything_said(threads)
    # Alice sees nothing of Mallory's room bundled into the secret room.
    for name, view in (await views_of_room(api, alice, secret_room, secret)).items():
        said = everything_said(view)
        assert "tell me more" not in said and "rewritten" not in said, name


async def test_relations_stored_across_rooms_are_never_served(api: Api, server: ServerProcess) -> None:
    """Rows an older version may have stored (a relation whose parent is in another room) stay invisible."""
    alice, mallory, secret_room, secret, other_room = await two_rooms(api)
    decoy = await api.send(mallory, other_room, "decoy root")
    reply = await api.send(mallory, other_room, content=thread_reply(decoy, "leaked reply"))
    replaced = await api.send(mallory, other_room, content=edit(decoy, "leaked edit"))
    # As if they had been accepted pointing at the secret event.
    await sql(server, "UPDATE events SET relates_to = ? WHERE event_id IN (?, ?)", secret, reply, replaced)
    threads = await api.ok("GET", f"{V1}/rooms/{q(other_room)}/threads", mallory)
    assert "the secret plan" not in everything_said(threads)
    for name, view in (await views_of_room(api, alice, secret_room, secret)).items():
        said = everything_said(view)
        assert "leaked" not in said and reply not in said and replaced not in said, name


async def test_a_member_who_left_sees_no_later_replies_edits_or_redactions(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    room = await api.create_room(alice, preset="public_chat")
    await api.join(bob, room)
    root = await api.send(alice, room, "root message")
    early = await api.send(alice, room, content=thread_reply(root, "early reply"))
    doomed = await api.send(alice, room, "to be redacted")
    await api.ok("POST", f"{C}/rooms/{q(room)}/leave", bob, json={})
    late = await api.send(alice, room, content=thread_reply(root, "late reply after bob left"))
    late_edit = await api.send(alice, room, content=edit(root, "edited after bob left"))
    await api.ok(
        "PUT",
        f"{C}/rooms/{q(room)}/redact/{q(doomed)}/{secrets.token_hex(4)}",
        alice,
        json={"reason": "reason bob must not read"},
    )
    for name, view in (await views_of_room(api, bob, room, root)).items():
        said = everything_said(view)
        for hidden in ("late reply after bob left", late, "edited after bob left", late_edit):
            assert hidden not in said, (name, hidden)
        assert "reason bob must not read" not in said, name
    # What bob may see is still there: the root, bundled with the reply sent while he was a member.
    event = await api.ok("GET", f"{C}/rooms/{q(room)}/event/{q(root)}", bob)
    thread = event["unsigned"]["m.relations"]["m.thread"]
    assert (thread["count"], thread["latest_event"]["event_id"]) == (1, early)
    assert "m.replace" not in event["unsigned"]["m.relations"]
    # Alice, still a member, sees everything.
    event = await api.ok("GET", f"{C}/rooms/{q(room)}/event/{q(root)}", alice)
    thread = event["unsigned"]["m.relations"]["m.thread"]
    assert (thread["count"], thread["latest_event"]["event_id"]) == (2, late)
    assert event["unsigned"]["m.relations"]["m.replace"]["event_id"] == late_edit
    synced = (await views_of_room(api, alice, room, root))["sync"]["timeline"]["events"]
    bundled = next(e for e in synced if e["event_id"] == root)["unsigned"]["m.relations"]
    assert (bundled["m.thread"]["count"], bundled["m.replace"]["event_id"]) == (2, late_edit)
    redacted = await api.ok("GET", f"{C}/rooms/{q(room)}/event/{q(doomed)}", alice)
    assert redacted["unsigned"]["redacted_because"]["content"]["reason"] == "reason bob must not read"
    seen_by_bob = await api.ok("GET", f"{C}/rooms/{q(room)}/event/{q(doomed)}", bob)
    assert "redacted_because" not in seen_by_bob["unsigned"]
