"""The room versions this server speaks, and what differs between them (spec: rooms/v10..v12)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RoomVersion:
    identifier: str
    # v11+: `m.room.create` has no `creator`; redaction keeps more; `redacts` lives in content.
    v11_redaction_and_format: bool
    # v12: room ID is the create event's reference hash; creators have infinite power.
    create_event_defines_room_id: bool


ROOM_VERSIONS: dict[str, RoomVersion] = {
    "10": RoomVersion("10", v11_redaction_and_format=False, create_event_defines_room_id=False),
    "11": RoomVersion("11", v11_redaction_and_format=True, create_event_defines_room_id=False),
    "12": RoomVersion("12", v11_redaction_and_format=True, create_event_defines_room_id=True),
}

DEFAULT_ROOM_VERSION = "12"


def get_room_version(identifier: str) -> RoomVersion | None:
    return ROOM_VERSIONS.get(identifier)
