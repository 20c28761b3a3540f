"""The shape of a /createRoom body (client-server API: room creation), checked before anything is built.

A field of the wrong JSON type is a malformed request (400 M_BAD_JSON); values of the right type that the
server cannot use (an unknown preset, an invalid user ID) are refused where they are interpreted.
"""

from __future__ import annotations

from typing import Any

from ...errors import bad_json

_STRING_FIELDS = ("room_version", "visibility", "preset", "name", "topic", "room_alias_name")
_OBJECT_FIELDS = ("creation_content", "power_level_content_override")


def check_create_room_types(body: dict[str, Any]) -> None:
    """Raise M_BAD_JSON for any /createRoom field present (and not null) with the wrong JSON type."""
    for key in _STRING_FIELDS:
        if body.get(key) is not None and not isinstance(body[key], str):
            raise bad_json(f"{key} must be a string")
    for key in _OBJECT_FIELDS:
        if body.get(key) is not None and not isinstance(body[key], dict):
            raise bad_json(f"{key} must be an object")
    if body.get("is_direct") is not None and not isinstance(body["is_direct"], bool):
        raise bad_json("is_direct must be a boolean")
    invites = body.get("invite")
    if invites is not None and (not isinstance(invites, list) or not all(isinstance(u, str) for u in invites)):
        raise bad_json("invite must be a list of user IDs")
    initial_state = body.get("initial_state")
    if initial_state is not None:
        if not isinstance(initial_state, list):
            raise bad_json("initial_state must be a list of state events")
        for index, entry in enumerate(initial_state):
            if (
                not isinstance(entry, dict)
                or not isinstance(entry.get("type"), str)
                or not isinstance(entry.get("content"), dict)
                or not isinstance(entry.get("state_key", ""), str)
            ):
                raise bad_json(f"initial_state[{index}] must have a string type and state_key and an object content")
