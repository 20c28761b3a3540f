"""A refused request leaves nothing behind: no rows of a room whose creation failed part-way (its create
event was already built and stored in the transaction), and no lock that keeps other programs out."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from tests.client import Api, C
from tests.serverproc import ServerProcess
from tests.sql import sql

TABLES = ("rooms", "events", "current_state", "membership_changes", "room_aliases")


async def row_counts(server: ServerProcess) -> dict[str, int]:
    return {table: (await sql(server, f"SELECT COUNT(*) FROM {table}"))[0][0] for table in TABLES}


async def test_a_room_creation_refused_part_way_leaves_no_rows(api: Api, server: ServerProcess) -> None:
    user = await api.register()
    alias_name = "undone" + secrets.token_hex(4)
    failing: list[dict[str, Any]] = [
        # Refused by the authorization rules at the power levels event (a malformed user ID).
        {"room_alias_name": alias_name, "power_level_content_override": {"users": {"not a user": 100}}},
        # Refused at an initial state event, after the create, member, power levels and alias.
        {"room_alias_name": alias_name, "initial_state": [{"type": "m.room.member", "state_key": "", "content": {}}]},
        # Refused at the create event itself (an additional creator that is not a user ID).
        {"room_alias_name": alias_name, "creation_content": {"additional_creators": ["nobody"]}},
    ]
    before = await row_counts(server)
    for body in failing:
        reply = await api.request("POST", C + "/createRoom", user, json=body)
        assert 400 <= reply.status < 500 and reply.errcode, (body, reply)
        assert await row_counts(server) == before, body
    # The alias that was claimed inside the failed transactions is free.
    room = await api.create_room(user, room_alias_name=alias_name)
    resolved = await api.ok("GET", f"{C}/directory/room/%23{alias_name}:localhost", user)
    assert resolved["room_id"] == room


async def test_a_refused_write_does_not_keep_the_database_locked(api: Api, server: ServerProcess) -> None:
    """On SQLite a refused transaction used to leave the write transaction of its group open, so another
    program (here the admin CLI) found the database locked until the server happened to write again."""
    user = await api.register()
    bad_state = [{"type": "m.room.member", "state_key": "", "content": {}}]
    reply = await api.request("POST", C + "/createRoom", user, json={"initial_state": bad_state})
    assert reply.status == 400
    # Nothing else writes meanwhile: with the lock still held, the CLI gives up after its 10 s wait.
    token = await asyncio.to_thread(server.run_cli, "registration-token", "create", "--uses", "1")
    assert token.strip()
