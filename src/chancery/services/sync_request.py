"""Sync tokens and the request a /sync response is built for."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import invalid_param
from ..events.filters import SyncFilter
from ..storage.rooms import RoomStore
from .requester import Requester


def parse_token(token: str | None) -> int | None:
    if token is None:
        return None
    if not token.startswith("s") or not token[1:].isdigit() or len(token) > 20:
        raise invalid_param("Invalid sync token")
    return int(token[1:])


def make_token(pos: int) -> str:
    return f"s{pos}"


@dataclass
class SyncRequest:
    requester: Requester
    since: int | None
    upto: int
    full_state: bool
    filter: SyncFilter
    # Users sharing a room with the requester, loaded once per response by whoever needs it first.
    shared_users: set[str] | None = field(default=None, repr=False)

    async def users_sharing_rooms(self, rooms: RoomStore) -> set[str]:
        if self.shared_users is None:
            self.shared_users = await rooms.users_sharing_rooms(self.requester.user_id)
        return self.shared_users
