"""Reporting content (client-server API: reporting content): events, rooms and users reported are stored for
the administrators, and a report about something the reporter cannot see is answered like one about
something that does not exist."""

from __future__ import annotations

from typing import Any

from tests.client import Api, C, User, q
from tests.serverproc import ServerProcess
from tests.sql import sql


async def reports_by(server: ServerProcess, reporter: User) -> list[tuple[Any, ...]]:
    return await sql(
        server,
        "SELECT room_id, event_id, target_user_id, reason, score FROM content_reports WHERE user_id = ? ORDER BY id",
        reporter.user_id,
    )


async def test_event_report_is_stored_for_a_member(api: Api, server: ServerProcess) -> None:
    owner, reporter = await api.register(), await api.register()
    room = await api.create_room(owner, preset="public_chat")
    await api.join(reporter, room)
    event = await api.send(owner, room, "offensive")

    path = f"{C}/rooms/{q(room)}/report/{q(event)}"
    assert await api.ok("POST", path, reporter, json={"reason": "this makes me sad", "score": -100}) == {}
    assert await api.ok("POST", path, reporter, json={}) == {}
    assert await reports_by(server, reporter) == [
        (room, event, None, "this makes me sad", -100),
        (room, event, None, None, None),
    ]
    # Audited, without the reporter's words.
    entries = await audited(server, reporter)
    assert [(action, target) for action, target, _ in entries] == [("report.event", event)] * 2
    assert all("sad" not in details and room in details for _, _, details in entries)


async def audited(server: ServerProcess, actor: User) -> list[tuple[Any, ...]]:
    return await sql(
        server,
        "SELECT action, target, details FROM audit_log WHERE actor_user = ? AND action LIKE 'report.%' ORDER BY seq",
        actor.user_id,
    )


async def test_event_report_is_404_for_non_members_unknown_events_and_hidden_history(
    api: Api, server: ServerProcess
) -> None:
    owner, outsider, late = await api.register(), await api.register(), await api.register()
    room = await api.create_room(owner, preset="public_chat")
    await api.ok(
        "PUT", f"{C}/rooms/{q(room)}/state/m.room.history_visibility/", owner, json={"history_visibility": "joined"}
    )
    before_join = await api.send(owner, room, "before the late member joined")
    await api.join(late, room)
    other_room = await api.create_room(owner)
    elsewhere = await api.send(owner, other_room, "in another room")

    cases = [
        (outsider, room, before_join),  # not joined
        (late, room, before_join),  # joined, but history hidden from before the join
        (late, room, elsewhere),  # an event of another room
        (late, room, "$unknown:localhost"),  # no such event
        (late, "!nowhere:localhost", before_join),  # no such room
    ]
    for reporter, room_id, event_id in cases:
        reply = await api.request(
            "POST", f"{C}/rooms/{q(room_id)}/report/{q(event_id)}", reporter, json={"reason": "x"}
        )
        assert (reply.status, reply.errcode) == (404, "M_NOT_FOUND"), (room_id, event_id, reply)
    assert await reports_by(server, outsider) == [] and await reports_by(server, late) == []


async def test_event_report_refuses_bad_input(api: Api) -> None:
    owner = await api.register()
    room = await api.create_room(owner)
    event = await api.send(owner, room)
    path = f"{C}/rooms/{q(room)}/report/{q(event)}"
    for body, errcode in [
        ({"reason": 5}, "M_BAD_JSON"),
        ({"score": "bad"}, "M_BAD_JSON"),
        ({"score": 12}, "M_INVALID_PARAM"),
        ({"reason": "x" * 10_001}, "M_INVALID_PARAM"),
    ]:
        reply = await api.request("POST", path, owner, json=body)
        assert (reply.status, reply.errcode) == (400, errcode), (body, reply)
    reply = await api.request("POST", path, json={"reason": "x"})
    assert reply.status == 401


async def test_room_report_for_rooms_the_reporter_knows(api: Api, server: ServerProcess) -> None:
    owner, reporter = await api.register(), await api.register()
    public = await api.create_room(owner, preset="public_chat", visibility="public")
    invited = await api.create_room(owner, preset="private_chat")
    await api.ok("POST", f"{C}/rooms/{q(invited)}/invite", owner, json={"user_id": reporter.user_id})
    private = await api.create_room(owner, preset="private_chat")

    assert await api.ok("POST", f"{C}/rooms/{q(public)}/report", reporter, json={"reason": "spam"}) == {}
    assert await api.ok("POST", f"{C}/rooms/{q(invited)}/report", reporter, json={"reason": ""}) == {}
    for room_id in (private, "!nowhere:localhost"):
        reply = await api.request("POST", f"{C}/rooms/{q(room_id)}/report", reporter, json={"reason": "x"})
        assert (reply.status, reply.errcode) == (404, "M_NOT_FOUND"), reply
    reply = await api.request("POST", f"{C}/rooms/{q(public)}/report", reporter, json={})
    assert (reply.status, reply.errcode) == (400, "M_MISSING_PARAM")
    assert await reports_by(server, reporter) == [(public, None, None, "spam", None), (invited, None, None, "", None)]
    assert [(a, t) for a, t, _ in await audited(server, reporter)] == [
        ("report.room", public),
        ("report.room", invited),
    ]


async def test_user_report(api: Api, server: ServerProcess) -> None:
    reporter, target = await api.register(), await api.register()
    assert await api.ok("POST", f"{C}/users/{q(target.user_id)}/report", reporter, json={"reason": "abuse"}) == {}
    for user_id in ("@nobody-here:localhost", "not a user id"):
        reply = await api.request("POST", f"{C}/users/{q(user_id)}/report", reporter, json={"reason": "x"})
        assert (reply.status, reply.errcode) == (404, "M_NOT_FOUND"), reply
    assert await reports_by(server, reporter) == [(None, None, target.user_id, "abuse", None)]
    assert [(a, t) for a, t, _ in await audited(server, reporter)] == [("report.user", target.user_id)]
