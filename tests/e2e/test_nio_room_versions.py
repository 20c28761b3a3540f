"""Older room versions through matrix-nio: event IDs with a server part (v1, v2) and with `/` and `+`
(v3's standard base64) must work in every request path a client builds from them."""

from __future__ import annotations

import nio  # type: ignore[import-untyped]
import pytest

from tests.e2e.test_nio_core import NewClient, new_client, send_text, shared_room, synced

__all__ = ["new_client"]  # the fixture this module uses, defined with the core nio tests

# An event ID needing percent-encoding in a path: `:` in v1/v2 IDs, `/` or `+` in v3 ones.
_PATH_SPECIAL = {"1": ":", "2": ":", "3": "/+"}
_MAX_SENDS = 40  # a v3 ID lacks both `/` and `+` with probability (62/64)**43 ≈ 0.26


@pytest.mark.parametrize("version", ["1", "2", "3", "4", "12"])
async def test_nio_uses_each_versions_event_ids(new_client: NewClient, version: str) -> None:
    alice, bob = await new_client(), await new_client()
    room_id = await shared_room(alice, bob, room_version=version)
    special = _PATH_SPECIAL.get(version, "")
    target = await send_text(alice, room_id, "message 0")
    for index in range(1, _MAX_SENDS):
        if not special or any(char in target for char in special):
            break
        target = await send_text(alice, room_id, f"message {index}")
    assert not special or any(char in target for char in special), target
    after = await send_text(bob, room_id, "after")

    fetched = await bob.room_get_event(room_id, target)
    assert isinstance(fetched, nio.RoomGetEventResponse), fetched
    assert fetched.event.event_id == target
    context = await bob.room_context(room_id, target, limit=2)
    assert isinstance(context, nio.RoomContextResponse), context
    assert context.event.event_id == target and [e.event_id for e in context.events_after] == [after]

    redacted = await alice.room_redact(room_id, target, reason="test")
    assert isinstance(redacted, nio.RoomRedactResponse), redacted
    seen = await bob.room_get_event(room_id, target)
    assert isinstance(seen, nio.RoomGetEventResponse), seen
    assert isinstance(seen.event, nio.RedactedEvent)
    assert seen.event.source["unsigned"]["redacted_because"]["event_id"] == redacted.event_id

    sync = await synced(bob)
    timeline = sync.rooms.join[room_id].timeline.events
    ids = [event.event_id for event in timeline]
    assert target in ids and after in ids and redacted.event_id in ids
    assert isinstance(next(e for e in timeline if e.event_id == target), nio.RedactedEvent)
