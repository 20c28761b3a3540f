"""Room summaries (client-server API: room summaries, `GET /room_summary/{roomIdOrAlias}`, MSC3266): what a
room is before joining it, for whoever may know of it (spaces/access.py); 404 for anyone else."""

from __future__ import annotations

from typing import Any

from ...errors import not_found
from ...storage import Storage
from ..accounts.requester import Requester
from ..rooms.room_directory import DirectoryService
from ..rooms.service import RoomService
from ..rooms.visibility import VisibilityService
from .access import may_know, summary_fields


class RoomSummaryService:
    def __init__(
        self, storage: Storage, rooms: RoomService, directory: DirectoryService, visibility: VisibilityService
    ) -> None:
        self.storage = storage
        self.rooms = rooms
        self.directory = directory
        self.visibility = visibility

    async def summary(self, requester: Requester | None, room_id_or_alias: str) -> dict[str, Any]:
        room_id = await self.rooms.resolve_room(room_id_or_alias)
        room = await self.storage.rooms.get_room(room_id)
        if room is None:
            raise not_found("Room not found")
        state = await self.storage.events.current_state(room_id)
        user_id = requester.user_id if requester is not None else None
        if not await may_know(self.storage, user_id, state):
            raise not_found("Room not found")  # the same answer as for a room that does not exist
        if requester is not None:  # e.g. a classified room needs an accredited device, even for its name
            await self.visibility.check_device_may_read(requester, room_id)
        summary = {**await self.directory.room_chunk(room_id), **summary_fields(state, room.room_version)}
        member = state.get(("m.room.member", user_id)) if user_id is not None else None
        membership = member.event["content"].get("membership") if member is not None else None
        if isinstance(membership, str):
            summary["membership"] = membership
        return summary
