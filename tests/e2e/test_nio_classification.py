"""Classified rooms seen through matrix-nio: the classification state reaches the client in /sync and as
room state, and a refusal arrives as an ordinary, readable Matrix error."""

from __future__ import annotations

from collections.abc import AsyncIterator

import nio  # type: ignore[import-untyped]
import pytest

from tests.classified_server import (
    CLASSIFICATION,
    accreditation_of,
    capi,
    classified,
    clear,
    officer,
    officer_name,
)
from tests.client import Api, User
from tests.e2e.nio_accounts import PASSWORD, register_nio
from tests.serverproc import ServerProcess

__all__ = ["capi", "classified", "officer", "officer_name"]  # fixtures of tests/classified_server.py


@pytest.fixture
async def nio_client(classified: ServerProcess) -> AsyncIterator[nio.AsyncClient]:
    client = await register_nio(classified.base_url, device_name="nio", prefix="nio_")
    yield client
    await client.close()


async def test_nio_sees_the_classification_and_a_readable_refusal(
    capi: Api, officer: User, nio_client: nio.AsyncClient
) -> None:
    me = User(nio_client.user_id, nio_client.access_token, nio_client.device_id, PASSWORD)
    await clear(capi, officer, me, "SECRET", ["NATO"])
    await capi.ok("PUT", accreditation_of(me), officer)
    content = {"level": "SECRET", "caveats": ["NATO"], "handling": "Eyes only"}
    created = await nio_client.room_create(
        name="Operations", initial_state=[{"type": CLASSIFICATION, "state_key": "", "content": content}]
    )
    assert isinstance(created, nio.RoomCreateResponse), created
    synced = await nio_client.sync(timeout=0, full_state=True)
    assert isinstance(synced, nio.SyncResponse), synced
    room = synced.rooms.join[created.room_id]
    seen = [e.source for e in [*room.state, *room.timeline.events] if e.source.get("type") == CLASSIFICATION]
    assert seen and seen[-1]["content"] == content
    state = await nio_client.room_get_state_event(created.room_id, CLASSIFICATION, "")
    assert isinstance(state, nio.RoomGetStateEventResponse) and state.content == content
    stranger = await capi.register()
    refused = await nio_client.room_invite(created.room_id, stranger.user_id)
    assert isinstance(refused, nio.RoomInviteError)
    assert refused.status_code == "M_FORBIDDEN" and refused.message == "Not cleared for SECRET"
