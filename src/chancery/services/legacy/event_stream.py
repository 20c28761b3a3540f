"""The legacy event stream, `GET /events` (client-server API: deprecated `/events`, and room previews).

Everything since a token, flat: room events of the rooms the user is in (their own membership changes in
other rooms too), typing, receipts, presence and account data. With `room_id` it is one room's events,
which is how a client peeks into a world-readable room it has not joined. It long-polls on the notifier
like /sync and uses the same `s<N>` tokens.
"""

from __future__ import annotations

import time
from typing import Any

from ...clock import Clock
from ...errors import forbidden, invalid_param, not_found
from ...storage import Storage
from ...storage.event_stream import EventStreamStore
from ...storage.events import StoredEvent
from ...storage.stream import current_position
from ..accounts.requester import Requester
from ..notifier import Notifier, room_scope, user_scope
from ..rooms.serialize import EventSerializer
from ..rooms.visibility import VisibilityService
from ..sync.request import make_token, parse_token
from .flat_events import presence_events, receipt_events, v1_format

DEFAULT_LIMIT = 10
MAX_LIMIT = 1000
MAX_TIMEOUT_MS = 300_000


async def is_world_readable(storage: Storage, room_id: str) -> bool:
    event = await storage.events.current_state_event(room_id, "m.room.history_visibility", "")
    return event is not None and event.event["content"].get("history_visibility") == "world_readable"


class EventStreamService:
    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        notifier: Notifier,
        serializer: EventSerializer,
        visibility: VisibilityService,
    ) -> None:
        self.storage = storage
        self.clock = clock
        self.notifier = notifier
        self.serializer = serializer
        self.visibility = visibility
        self.store = EventStreamStore(storage.db)

    async def events(
        self,
        requester: Requester,
        from_token: str | None,
        timeout_ms: int,
        room_id: str | None,
        limit: int,
        direction: str = "f",
    ) -> dict[str, Any]:
        """Wait up to `timeout_ms` for something after `from_token` (default: now) and return it; with
        direction "b", the latest events up to the token instead, newest first, without waiting."""
        user_id = requester.user_id
        if direction not in ("f", "b"):
            raise invalid_param("dir must be 'f' or 'b'")
        if room_id is None and requester.is_guest:
            raise invalid_param("Guests must name the room_id they are peeking into")
        if room_id is not None:
            await self._check_may_peek(user_id, room_id)
            await self.visibility.check_device_may_read(requester, room_id)
        limit = max(1, min(limit, MAX_LIMIT))
        parsed = parse_token(from_token)
        now = await current_position(self.storage.db)
        since = now if parsed is None else min(parsed, now)  # a token from the future reads from now
        start = make_token(since)
        if direction == "b":
            return await self._backwards(requester, room_id, since, limit)
        deadline = time.monotonic() + max(0, min(timeout_ms, MAX_TIMEOUT_MS)) / 1000
        while True:
            upto = await current_position(self.storage.db)
            since = min(since, upto)
            rooms = await self._rooms(requester, room_id, since, upto)
            chunk, end = await self._collect(requester, rooms, room_id, since, upto, limit)
            remaining = deadline - time.monotonic()
            if chunk or remaining <= 0:
                return {"start": start, "end": make_token(end), "chunk": chunk}
            if end == upto:  # caught up: wait for something new (else read on past what was hidden)
                scopes = [room_scope(r) for r in rooms] + ([user_scope(user_id)] if room_id is None else [])
                await self.notifier.wait(scopes, upto, remaining)
            since = end

    async def _backwards(self, requester: Requester, room_id: str | None, upto: int, limit: int) -> dict[str, Any]:
        rooms = await self._rooms(requester, room_id, upto, upto)
        found = await self.store.events_in_rooms(rooms, after=0, upto=upto, limit=limit, newest_first=True)
        chunk = v1_format(await self.serializer.serialize(await self._visible(requester.user_id, found), requester))
        end = found[-1].pos - 1 if found else upto
        return {"start": make_token(upto), "end": make_token(end), "chunk": chunk}

    async def _check_may_peek(self, user_id: str, room_id: str) -> None:
        """A joined user reads the room's stream; anyone else only a world-readable room's."""
        if await self.storage.rooms.membership(room_id, user_id) == "join":
            return
        if not await is_world_readable(self.storage, room_id):
            raise forbidden("You are not in this room and it cannot be previewed")

    async def _rooms(self, requester: Requester, room_id: str | None, since: int, upto: int) -> list[str]:
        """The rooms whose events the window shows: joined ones, and any whose membership changed in it
        (but none the device may not read)."""
        if room_id is not None:
            return [room_id]
        memberships = await self.storage.rooms.memberships_at(requester.user_id, upto)
        rooms = sorted(r for r, (membership, pos, _) in memberships.items() if membership == "join" or pos > since)
        hidden = await self.visibility.rooms_hidden_from(requester, rooms)
        return [r for r in rooms if r not in hidden]

    async def _collect(
        self, requester: Requester, rooms: list[str], room_id: str | None, since: int, upto: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        """The window's chunk, and the position it ends at (before `upto` when the events filled `limit`)."""
        found = await self.store.events_in_rooms(rooms, after=since, upto=upto, limit=limit + 1)
        if len(found) > limit:
            found = found[:limit]
            upto = found[-1].pos
        events = await self._visible(requester.user_id, found)
        chunk = v1_format(await self.serializer.serialize(events, requester))
        joined = rooms if room_id is not None else await self.storage.rooms.rooms_for_user(requester.user_id)
        chunk += await self._ephemeral(requester.user_id, joined, since, upto)
        chunk += await self._presence(requester.user_id, room_id, since, upto)
        if room_id is None:
            chunk += await self._account_data(requester.user_id, since, upto)
        return chunk, upto

    async def _visible(self, user_id: str, events: list[StoredEvent]) -> list[StoredEvent]:
        by_room: dict[str, list[StoredEvent]] = {}
        for stored in events:
            by_room.setdefault(stored.event["room_id"], []).append(stored)
        visible = await self.visibility.filter_visible_in_rooms(user_id, by_room)
        allowed = {s.pos for room_events in visible.values() for s in room_events}
        # A user always sees their own membership changes (an invite to a room they cannot read yet).
        return [
            s
            for s in events
            if s.pos in allowed or (s.event["type"] == "m.room.member" and s.event.get("state_key") == user_id)
        ]

    async def _ephemeral(self, user_id: str, room_ids: list[str], since: int, upto: int) -> list[dict[str, Any]]:
        if not room_ids:
            return []
        ephemeral = self.storage.ephemeral
        out: list[dict[str, Any]] = []
        typing_rooms = sorted(await ephemeral.typing_changed_rooms(room_ids, since, upto))
        if typing_rooms:
            typing = await ephemeral.typing_users_in_rooms(typing_rooms, self.clock.now_ms())
            for room in typing_rooms:
                out.append({"type": "m.typing", "room_id": room, "content": {"user_ids": typing.get(room, [])}})
        out += receipt_events(await ephemeral.receipts_since(room_ids, since, upto), user_id)
        return out

    async def _presence(self, user_id: str, room_id: str | None, since: int, upto: int) -> list[dict[str, Any]]:
        """Of everyone sharing a room with the user, or (peeking) of the room's members."""
        if room_id is not None:
            users = await self.storage.rooms.members(room_id)
        else:
            users = sorted(await self.storage.rooms.users_sharing_rooms(user_id) | {user_id})
        return await presence_events(self.storage, self.clock, users, since, upto)

    async def _account_data(self, user_id: str, since: int, upto: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for room, by_type in (await self.storage.account.account_data_since(user_id, since, upto)).items():
            for data_type, content in by_type.items():
                entry: dict[str, Any] = {"type": data_type, "content": content}
                if room:
                    entry["room_id"] = room
                out.append(entry)
        return out

    async def event(self, requester: Requester, event_id: str) -> dict[str, Any]:
        """`GET /events/{eventId}`: the event if the user may see it; 404 either way otherwise, as the spec says."""
        stored = await self.storage.events.get_event(event_id)
        if stored is None or not await self.visibility.filter_visible(
            requester.user_id, stored.event["room_id"], [stored]
        ):
            raise not_found("Event not found")
        await self.visibility.check_device_may_read(requester, stored.event["room_id"])
        return v1_format(await self.serializer.serialize([stored], requester))[0]
