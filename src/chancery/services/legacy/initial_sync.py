"""Snapshots of rooms: `GET /initialSync` (deprecated) and `GET /rooms/{roomId}/initialSync`, which clients
use to preview ("peek into") a room before joining it (client-server API: room previews).

A member sees the room as it is now; a former member as it was when they left; anyone else only a
world-readable room, and otherwise gets 403 (never 404, so a preview does not reveal whether a room exists).
"""

from __future__ import annotations

from typing import Any

from ...clock import Clock
from ...errors import forbidden
from ...storage import Storage
from ...storage.account import GLOBAL
from ...storage.stream import current_position
from ..accounts.requester import Requester
from ..rooms.serialize import EventSerializer
from ..rooms.visibility import VisibilityService
from ..sync.request import make_token
from .flat_events import presence_events, receipt_events, v1_format

DEFAULT_LIMIT = 10
MAX_LIMIT = 1000


class InitialSyncService:
    def __init__(
        self, storage: Storage, clock: Clock, serializer: EventSerializer, visibility: VisibilityService
    ) -> None:
        self.storage = storage
        self.clock = clock
        self.serializer = serializer
        self.visibility = visibility

    async def initial_sync(self, requester: Requester, limit: int, archived: bool) -> dict[str, Any]:
        """Every room the user is in (or, with `archived`, was in), presence and account data."""
        user_id = requester.user_id
        upto = await current_position(self.storage.db)
        account_data = await self.storage.account.account_data_since(user_id, 0, upto)
        rooms: list[dict[str, Any]] = []
        memberships = await self.storage.rooms.memberships_at(user_id, upto)
        hidden = await self.visibility.rooms_hidden_from(requester, list(memberships))
        memberships = {r: m for r, m in memberships.items() if r not in hidden}
        for room_id, (membership, pos, event_id) in sorted(memberships.items()):
            room_data = [{"type": t, "content": c} for t, c in account_data.get(room_id, {}).items()]
            if membership == "join":
                rooms.append(await self._snapshot(requester, room_id, membership, None, upto, limit, room_data))
            elif membership == "invite":
                invite = await self.storage.events.get_event(event_id)
                entry: dict[str, Any] = {"room_id": room_id, "membership": membership}
                if invite is not None:
                    entry["invite"] = v1_format(await self.serializer.serialize([invite], requester))[0]
                rooms.append(entry)
            elif membership in ("leave", "ban") and archived:
                rooms.append(await self._snapshot(requester, room_id, membership, pos, pos, limit, room_data))
        users = sorted(await self.storage.rooms.users_sharing_rooms(user_id) | {user_id})
        joined = [r for r, (membership, _, _) in memberships.items() if membership == "join"]
        receipts = await self.storage.ephemeral.receipts_since(joined, 0, upto) if joined else []
        return {
            "end": make_token(upto),
            "rooms": rooms,
            "presence": await self._presence(users, upto),
            "receipts": receipt_events(receipts, user_id),
            "account_data": [{"type": t, "content": c} for t, c in account_data.get(GLOBAL, {}).items()],
        }

    async def room_initial_sync(self, requester: Requester, room_id: str, limit: int) -> dict[str, Any]:
        user_id = requester.user_id
        room = await self.storage.rooms.get_room(room_id)
        if room is None:
            raise forbidden("You are not in this room and it cannot be previewed")
        allowed, frozen_at = await self.visibility.can_see_room_state(user_id, room_id)
        if not allowed:
            raise forbidden("You are not in this room and it cannot be previewed")
        await self.visibility.check_device_may_read(requester, room_id)
        upto = frozen_at if frozen_at is not None else await current_position(self.storage.db)
        account_data = await self.storage.account.account_data_since(user_id, 0, upto)
        room_data = [{"type": t, "content": c} for t, c in account_data.get(room_id, {}).items()]
        membership = await self.storage.rooms.membership(room_id, user_id)
        result = await self._snapshot(requester, room_id, membership, frozen_at, upto, limit, room_data)
        members = [key[1] for key, s in (await self._state(room_id, frozen_at)).items() if _joined(key, s.event)]
        result["presence"] = await self._presence(sorted(members), upto)
        result["receipts"] = receipt_events(await self.storage.ephemeral.receipts_since([room_id], 0, upto), user_id)
        return result

    async def _snapshot(
        self,
        requester: Requester,
        room_id: str,
        membership: str | None,
        frozen_at: int | None,
        upto: int,
        limit: int,
        account_data: list[dict[str, Any]],
    ) -> dict[str, Any]:
        """The room's latest `limit` visible events up to `upto` and its state then (now when not frozen)."""
        limit = max(0, min(limit, MAX_LIMIT))
        newest = await self.storage.events.room_events(room_id, after=0, upto=upto, limit=limit, newest_first=True)
        visible = list(reversed(await self.visibility.filter_visible(requester.user_id, room_id, newest)))
        state = sorted((await self._state(room_id, frozen_at)).values(), key=lambda s: s.pos)
        room = await self.storage.rooms.get_room(room_id)
        result: dict[str, Any] = {
            "room_id": room_id,
            "messages": {
                "chunk": v1_format(await self.serializer.serialize(visible, requester)),
                "start": make_token(newest[-1].pos - 1 if newest else upto),
                "end": make_token(upto),
            },
            "state": v1_format(await self.serializer.serialize(state, requester)),
            "visibility": "public" if room is not None and room.is_public else "private",
            "account_data": account_data,
        }
        if membership is not None:
            result["membership"] = membership
        return result

    async def _state(self, room_id: str, frozen_at: int | None) -> dict[tuple[str, str], Any]:
        if frozen_at is None:
            return await self.storage.events.current_state(room_id)
        return await self.storage.events.state_at(room_id, frozen_at)

    async def _presence(self, users: list[str], upto: int) -> list[dict[str, Any]]:
        return await presence_events(self.storage, self.clock, users, 0, upto)


def _joined(key: tuple[str, str], event: dict[str, Any]) -> bool:
    return key[0] == "m.room.member" and event["content"].get("membership") == "join"
