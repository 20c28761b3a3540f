"""Reading rooms: state, members, /messages, /context, /event, relations (client-server API)."""

from __future__ import annotations

from typing import Any

from ...errors import forbidden, invalid_param, not_found
from ...events.filters import MAX_TIMELINE_LIMIT, EventFilter
from ...storage import Storage
from ...storage.events import StoredEvent
from ...storage.stream import current_position
from ..accounts.requester import Requester
from ..sync.service import make_token, parse_token
from .serialize import EventSerializer
from .visibility import VisibilityService


class RoomReadService:
    def __init__(self, storage: Storage, visibility: VisibilityService, serializer: EventSerializer) -> None:
        self.storage = storage
        self.visibility = visibility
        self.serializer = serializer

    async def _state_access(self, requester: Requester, room_id: str) -> int | None:
        """Raise 403 unless the user may read the room's state; return the position it is frozen at."""
        if await self.storage.rooms.get_room(room_id) is None:
            raise forbidden("You are not in this room")  # do not reveal whether the room exists
        allowed, upto = await self.visibility.can_see_room_state(requester.user_id, room_id)
        if not allowed:
            raise forbidden("You are not in this room")
        await self.visibility.check_device_may_read(requester, room_id)
        return upto

    async def _state(
        self, requester: Requester, room_id: str, at: int | None = None
    ) -> dict[tuple[str, str], StoredEvent]:
        upto = await self._state_access(requester, room_id)
        if at is not None:
            upto = at if upto is None else min(upto, at)
        if upto is None:
            return await self.storage.events.current_state(room_id)
        return await self.storage.events.state_at(room_id, upto)

    async def state(self, requester: Requester, room_id: str) -> list[dict[str, Any]]:
        state = await self._state(requester, room_id)
        return await self.serializer.serialize(sorted(state.values(), key=lambda s: s.pos), requester)

    async def state_event(self, requester: Requester, room_id: str, event_type: str, state_key: str) -> StoredEvent:
        state = await self._state(requester, room_id)
        found = state.get((event_type, state_key))
        if found is None:
            raise not_found("State event not found")
        return found

    async def members(
        self,
        requester: Requester,
        room_id: str,
        at: str | None,
        membership: str | None,
        not_membership: str | None,
    ) -> list[dict[str, Any]]:
        at_pos = parse_token(at) if at else None
        state = await self._state(requester, room_id, at_pos)
        chosen = []
        for (event_type, _key), stored in state.items():
            if event_type != "m.room.member":
                continue
            value = stored.event["content"].get("membership")
            if membership is not None and value != membership:
                continue
            if not_membership is not None and value == not_membership:
                continue
            chosen.append(stored)
        return await self.serializer.serialize(sorted(chosen, key=lambda s: s.pos), requester)

    async def joined_members(self, requester: Requester, room_id: str) -> dict[str, Any]:
        if await self.storage.rooms.membership(room_id, requester.user_id) != "join":
            raise forbidden("You are not joined to this room")
        await self.visibility.check_device_may_read(requester, room_id)
        state = await self.storage.events.current_state(room_id)
        joined: dict[str, Any] = {}
        for (event_type, user_id), stored in state.items():
            content = stored.event["content"]
            if event_type == "m.room.member" and content.get("membership") == "join":
                joined[user_id] = {
                    "display_name": content.get("displayname"),
                    "avatar_url": content.get("avatar_url"),
                }
        return {"joined": joined}

    async def _require_ever_member(self, requester: Requester, room_id: str) -> None:
        allowed, _ = await self.visibility.can_see_room_state(requester.user_id, room_id)
        if not allowed:
            raise forbidden("You are not in this room")
        await self.visibility.check_device_may_read(requester, room_id)

    async def messages(
        self,
        requester: Requester,
        room_id: str,
        from_token: str | None,
        to_token: str | None,
        direction: str,
        limit: int,
        event_filter: EventFilter,
    ) -> dict[str, Any]:
        if direction not in ("b", "f"):
            raise invalid_param("dir must be 'b' or 'f'")
        limit = max(0, min(limit, MAX_TIMELINE_LIMIT))
        await self._require_ever_member(requester, room_id)
        now = await current_position(self.storage.db)
        parsed_from = parse_token(from_token)
        from_pos = parsed_from if parsed_from is not None else (now if direction == "b" else 0)
        to_pos = parse_token(to_token) if to_token else None
        backwards = direction == "b"
        if backwards:
            upto, after = from_pos, to_pos if to_pos is not None else 0
        else:
            after, upto = from_pos, to_pos if to_pos is not None else now
        raw = await self.storage.events.room_events(
            room_id, after=after, upto=upto, limit=limit, newest_first=backwards
        )
        visible = await self.visibility.filter_visible(requester.user_id, room_id, raw)
        chunk = [s for s in visible if event_filter.matches(s.event)]
        result: dict[str, Any] = {
            "start": make_token(from_pos),
            "chunk": await self.serializer.serialize(chunk, requester),
        }
        if len(raw) == limit and raw:
            result["end"] = make_token(raw[-1].pos - 1 if backwards else raw[-1].pos)
        if event_filter.lazy_load_members and chunk:
            senders = {s.event["sender"] for s in chunk}
            edge = min(s.pos for s in chunk)
            members = []
            for sender in sorted(senders):
                member = await self.storage.events.state_event_at(room_id, "m.room.member", sender, edge)
                if member is not None:
                    members.append(member)
            result["state"] = await self.serializer.serialize(members, requester)
        return result

    async def event(self, requester: Requester, room_id: str, event_id: str) -> dict[str, Any]:
        stored = await self.storage.events.get_event(event_id)
        if stored is None or stored.event["room_id"] != room_id:
            raise not_found("Event not found")
        await self.visibility.check_can_see(requester.user_id, stored)
        await self.visibility.check_device_may_read(requester, room_id)
        return (await self.serializer.serialize([stored], requester))[0]

    async def context(
        self, requester: Requester, room_id: str, event_id: str, limit: int, event_filter: EventFilter
    ) -> dict[str, Any]:
        stored = await self.storage.events.get_event(event_id)
        if stored is None or stored.event["room_id"] != room_id:
            raise not_found("Event not found")
        await self.visibility.check_can_see(requester.user_id, stored)
        await self.visibility.check_device_may_read(requester, room_id)
        limit = max(0, min(limit, 100))
        before_count, after_count = limit // 2, limit - limit // 2
        before = await self.storage.events.room_events(
            room_id, after=0, upto=stored.pos - 1, limit=before_count, newest_first=True
        )
        after = await self.storage.events.room_events(
            room_id, after=stored.pos, upto=2**62, limit=after_count, newest_first=False
        )
        before = [
            s
            for s in await self.visibility.filter_visible(requester.user_id, room_id, before)
            if event_filter.matches(s.event)
        ]
        after = [
            s
            for s in await self.visibility.filter_visible(requester.user_id, room_id, after)
            if event_filter.matches(s.event)
        ]
        last_pos = after[-1].pos if after else stored.pos
        state = await self.storage.events.state_at(room_id, last_pos)
        state_events = sorted(state.values(), key=lambda s: s.pos)
        if event_filter.lazy_load_members:
            senders = {s.event["sender"] for s in [*before, stored, *after]}
            state_events = [
                s for s in state_events if s.event["type"] != "m.room.member" or s.event["state_key"] in senders
            ]
        return {
            "event": (await self.serializer.serialize([stored], requester))[0],
            "events_before": await self.serializer.serialize(before, requester),
            "events_after": await self.serializer.serialize(after, requester),
            "start": make_token(before[-1].pos - 1 if before else stored.pos - 1),
            "end": make_token(last_pos),
            "state": await self.serializer.serialize(state_events, requester),
        }

    async def relations(
        self,
        requester: Requester,
        room_id: str,
        event_id: str,
        rel_type: str | None,
        event_type: str | None,
        from_token: str | None,
        to_token: str | None,
        direction: str,
        limit: int,
        recurse: bool,
    ) -> dict[str, Any]:
        parent = await self.storage.events.get_event(event_id)
        if parent is None or parent.event["room_id"] != room_id:
            raise not_found("Event not found")
        await self.visibility.check_can_see(requester.user_id, parent)
        await self.visibility.check_device_may_read(requester, room_id)
        if direction not in ("b", "f"):
            raise invalid_param("dir must be 'b' or 'f'")
        limit = max(1, min(limit, MAX_TIMELINE_LIMIT))
        backwards = direction == "b"
        from_pos = parse_token(from_token) if from_token else None
        to_pos = parse_token(to_token) if to_token else None
        if backwards:
            before = (from_pos + 1) if from_pos is not None else 2**62
            after = to_pos if to_pos is not None else 0
        else:
            after = from_pos if from_pos is not None else 0
            before = (to_pos + 1) if to_pos is not None else 2**62
        found = await self.storage.events.relations(
            room_id, event_id, rel_type, event_type, before=before, after=after, limit=limit, newest_first=backwards
        )
        visible = await self.visibility.filter_visible(requester.user_id, room_id, found)
        result: dict[str, Any] = {"chunk": await self.serializer.serialize(visible, requester)}
        if len(found) == limit:
            result["next_batch"] = make_token(found[-1].pos - 1 if backwards else found[-1].pos)
        if recurse:
            result["recursion_depth"] = 1
        return result

    async def threads(self, requester: Requester, room_id: str, limit: int, from_token: str | None) -> dict[str, Any]:
        await self._require_ever_member(requester, room_id)
        limit = max(1, min(limit, 100))
        parsed = parse_token(from_token)
        before = 2**62 if parsed is None else parsed
        rows = await self.storage.events.thread_roots(room_id, before, limit)
        roots = await self.storage.events.get_events(root for root, _ in rows)
        ordered = [roots[root] for root, _ in rows if root in roots]
        visible = await self.visibility.filter_visible(requester.user_id, room_id, ordered)
        result: dict[str, Any] = {"chunk": await self.serializer.serialize(visible, requester)}
        if len(rows) == limit:
            result["next_batch"] = make_token(rows[-1][1])
        return result
