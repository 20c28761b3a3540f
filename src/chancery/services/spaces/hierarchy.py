"""Space hierarchies (client-server API: spaces, `GET /rooms/{roomId}/hierarchy`): the rooms below a space,
depth first, children in the spec's order, each shown only to users who may know of it (spaces/access.py).

Paging is stateless: `next_batch` records how many rooms were already shown (with the parameters it was
made for, which may not change), and the next page walks the tree again past them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...errors import forbidden, invalid_param
from ...events.client_format import stripped_state_event
from ...storage import Storage
from ...storage.events import StateKey, StoredEvent
from ..accounts.requester import Requester
from ..rooms.room_directory import DirectoryService
from ..rooms.visibility import VisibilityService
from .access import may_know, summary_fields

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
MAX_DEPTH = 50
MAX_ORDER_LENGTH = 50
# Rooms looked at per request, shown or not (past it the walk ends there): bounds the work of one request.
MAX_WALKED = 2000


@dataclass(frozen=True)
class HierarchyQuery:
    room_id: str
    suggested_only: bool
    max_depth: int
    limit: int
    from_token: str | None


class HierarchyService:
    def __init__(self, storage: Storage, directory: DirectoryService, visibility: VisibilityService) -> None:
        self.storage = storage
        self.directory = directory
        self.visibility = visibility

    async def hierarchy(self, requester: Requester, query: HierarchyQuery) -> dict[str, Any]:
        if query.limit < 1:
            raise invalid_param("limit must be greater than zero")
        if query.max_depth < 0:
            raise invalid_param("max_depth must not be negative")
        limit = min(query.limit, MAX_LIMIT)
        max_depth = min(query.max_depth, MAX_DEPTH)
        skip = _parse_token(query.from_token, max_depth, query.suggested_only)
        user_id = requester.user_id
        root_state = await self._state(query.room_id)
        if root_state is None or not await may_know(self.storage, user_id, root_state):
            raise forbidden("You may not view this room")
        await self.visibility.check_device_may_read(requester, query.room_id)
        rooms: list[dict[str, Any]] = []
        seen: set[str] = set()
        shown = 0
        pending: list[tuple[str, int]] = [(query.room_id, 0)]
        while pending and len(rooms) < limit and len(seen) < MAX_WALKED:
            room_id, depth = pending.pop()
            if room_id in seen:
                continue
            seen.add(room_id)
            state = root_state if room_id == query.room_id else await self._state(room_id)
            if state is None or not await may_know(self.storage, user_id, state):
                continue  # unknown here (another server's room) or not for this user
            if await self.visibility.rooms_hidden_from(requester, [room_id]):
                continue  # e.g. a classified room this device is not accredited for: not even its name
            children = _children(state, query.suggested_only)
            if shown >= skip:
                rooms.append(await self._entry(room_id, state, children))
            shown += 1
            if depth < max_depth:
                pending += [(child.event["state_key"], depth + 1) for child in reversed(children)]
        result: dict[str, Any] = {"rooms": rooms}
        if len(seen) < MAX_WALKED and any(room_id not in seen for room_id, _ in pending):
            result["next_batch"] = f"{shown}.{max_depth}.{int(query.suggested_only)}"
        return result

    async def _state(self, room_id: str) -> dict[StateKey, StoredEvent] | None:
        if await self.storage.rooms.get_room(room_id) is None:
            return None
        return await self.storage.events.current_state(room_id)

    async def _entry(
        self, room_id: str, state: dict[StateKey, StoredEvent], children: list[StoredEvent]
    ) -> dict[str, Any]:
        room = await self.storage.rooms.get_room(room_id)
        version = room.room_version if room is not None else ""
        entry = {**await self.directory.room_chunk(room_id), **summary_fields(state, version)}
        entry["children_state"] = [
            {**stripped_state_event(child.event), "origin_server_ts": child.event["origin_server_ts"]}
            for child in children
        ]
        return entry


def _children(state: dict[StateKey, StoredEvent], suggested_only: bool) -> list[StoredEvent]:
    """The room's valid `m.space.child` events (a room ID key and a non-empty `via`), in the spec's order."""
    children = []
    for (event_type, state_key), stored in state.items():
        content = stored.event["content"]
        if event_type != "m.space.child" or not state_key.startswith("!"):
            continue
        via = content.get("via")
        if not isinstance(via, list) or not via or not all(isinstance(v, str) for v in via):
            continue
        if suggested_only and content.get("suggested") is not True:
            continue
        children.append(stored)
    return sorted(children, key=_child_order)


def _child_order(stored: StoredEvent) -> tuple[int, str, int, str]:
    order = stored.event["content"].get("order")
    valid = (
        isinstance(order, str) and len(order) <= MAX_ORDER_LENGTH and all("\x20" <= char <= "\x7e" for char in order)
    )
    return (0 if valid else 1, order if valid else "", stored.event["origin_server_ts"], stored.event["state_key"])


def _parse_token(token: str | None, max_depth: int, suggested_only: bool) -> int:
    if token is None:
        return 0
    parts = token.split(".")
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() and len(p) <= 9 for p in parts):
        raise invalid_param("Unknown pagination token")
    if (int(parts[1]), bool(int(parts[2]))) != (max_depth, suggested_only):
        raise invalid_param("suggested_only and max_depth cannot change on paginated requests")
    return int(parts[0])
