"""m.room.canonical_alias content: the aliases a room advertises must be its own (client-server API:
m.room.canonical_alias; PUT /rooms/{roomId}/state errors M_INVALID_PARAM and M_BAD_ALIAS)."""

from __future__ import annotations

from typing import Any

from ...errors import MatrixError, invalid_param
from ...events.identifiers import is_valid_room_alias
from ...storage.database import Connection
from ...storage.rooms import RoomStore

CANONICAL_ALIAS = "m.room.canonical_alias"


def _aliases(content: dict[str, Any]) -> tuple[str | None, list[str]]:
    """(alias, alt_aliases) as the event names them; M_INVALID_PARAM when malformed."""
    alias = content.get("alias")
    if alias is not None and not isinstance(alias, str):
        raise invalid_param("alias must be a room alias")
    alt_aliases = content.get("alt_aliases")
    if alt_aliases is None:
        alt_aliases = []
    if not isinstance(alt_aliases, list) or not all(isinstance(a, str) for a in alt_aliases):
        raise invalid_param("alt_aliases must be a list of room aliases")
    for named in [alias, *alt_aliases] if alias else alt_aliases:
        if not is_valid_room_alias(named):
            raise invalid_param(f"{named!r} is not a valid room alias")
    return alias or None, alt_aliases


def _previous_aliases(replaced: dict[str, Any] | None) -> set[str]:
    if replaced is None:
        return set()
    content = replaced.get("content", {})
    previous = {content.get("alias")}
    alt = content.get("alt_aliases")
    if isinstance(alt, list):
        previous.update(alt)
    return {a for a in previous if isinstance(a, str)}


async def check_canonical_alias(
    rooms: RoomStore, conn: Connection, event: dict[str, Any], replaced: dict[str, Any] | None
) -> None:
    """Every alias the event adds must exist and point to the event's room (400 M_BAD_ALIAS). Aliases the
    room already advertised are not looked up again, so removing some stays possible after another was
    deleted; removing every field is always allowed."""
    alias, alt_aliases = _aliases(event["content"])
    previous = _previous_aliases(replaced)
    for added in dict.fromkeys([*([alias] if alias else []), *alt_aliases]):
        if added in previous:
            continue
        found = await rooms.alias_room(added, conn)
        if found is None or found[0] != event["room_id"]:
            raise MatrixError(400, "M_BAD_ALIAS", f"The alias {added} does not point to this room")
