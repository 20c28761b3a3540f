"""Rooms through the Synapse-compatible admin API: the listing (paged, ordered, searched), one room's
details, members and state, and blocking."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...clock import Clock
from ...errors import forbidden, invalid_param, not_found
from ...storage import Storage
from ...storage.admin_rooms import AdminRoomStore, RoomFacts
from ..accounts.requester import Requester
from ..rooms.serialize import EventSerializer
from .audit import AdminAudit


def _content(room: RoomFacts, event_type: str, key: str) -> Any:
    value = room.state.get(event_type, {}).get(key)
    return value if isinstance(value, str) else None


def room_json(room: RoomFacts) -> dict[str, Any]:
    federate = room.state.get("m.room.create", {}).get("m.federate", True)
    return {
        "room_id": room.room_id,
        "name": _content(room, "m.room.name", "name"),
        "canonical_alias": _content(room, "m.room.canonical_alias", "alias"),
        "joined_members": room.joined_members,
        "joined_local_members": room.joined_members,  # without federation every member is local
        "version": room.version,
        "creator": room.creator,
        "encryption": _content(room, "m.room.encryption", "algorithm"),
        "federatable": federate is not False,
        "public": room.is_public,
        "join_rules": room.join_rule,
        "guest_access": _content(room, "m.room.guest_access", "guest_access"),
        "history_visibility": room.history_visibility,
        "state_events": room.state_events,
        "room_type": _content(room, "m.room.create", "type"),
    }


def _text_key(field: str) -> Callable[[dict[str, Any]], tuple[bool, str, str]]:
    # Rooms without the field come last, as NULLs do in Synapse's SQL.
    return lambda r: (r[field] is None, str(r[field] or ""), r["room_id"])


def _number_key(field: str) -> Callable[[dict[str, Any]], tuple[int, str]]:
    # "Largest to smallest" going forwards, as Synapse orders sizes.
    return lambda r: (-int(r[field]), r["room_id"])


ROOM_ORDERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "name": _text_key("name"),
    "alphabetical": _text_key("name"),
    "canonical_alias": _text_key("canonical_alias"),
    "joined_members": _number_key("joined_members"),
    "size": _number_key("joined_members"),
    "joined_local_members": _number_key("joined_local_members"),
    "state_events": _number_key("state_events"),
    "version": lambda r: (-int(r["version"]) if str(r["version"]).isdigit() else 0, r["room_id"]),
    "creator": _text_key("creator"),
    "encryption": _text_key("encryption"),
    "federatable": lambda r: (not r["federatable"], r["room_id"]),
    "public": lambda r: (not r["public"], r["room_id"]),
    "join_rules": _text_key("join_rules"),
    "guest_access": _text_key("guest_access"),
    "history_visibility": _text_key("history_visibility"),
}


class RoomAdminService:
    def __init__(
        self, storage: Storage, store: AdminRoomStore, serializer: EventSerializer, audit: AdminAudit, clock: Clock
    ) -> None:
        self.storage = storage
        self.store = store
        self.serializer = serializer
        self.audit = audit
        self.clock = clock

    async def list_rooms(
        self, order_by: str, descending: bool, offset: int, limit: int, search_term: str | None
    ) -> dict[str, Any]:
        """Linear in the number of rooms (a handful of set queries, then a sort), fine for an admin console."""
        rooms = [room_json(room) for room in await self.store.room_facts()]
        if search_term:
            term = search_term.lower()
            rooms = [
                r
                for r in rooms
                if any(term in (r[field] or "").lower() for field in ("name", "canonical_alias", "room_id"))
            ]
        rooms.sort(key=ROOM_ORDERS[order_by], reverse=descending)
        chunk = rooms[offset : offset + limit]
        body: dict[str, Any] = {"rooms": chunk, "offset": offset, "total_rooms": len(rooms)}
        if offset + len(chunk) < len(rooms):
            body["next_batch"] = offset + len(chunk)
        if offset > 0:
            body["prev_batch"] = max(0, offset - limit)
        return body

    async def _facts(self, room_id: str) -> RoomFacts:
        if not room_id.startswith("!"):
            raise invalid_param("Expected a room ID")
        found = await self.store.room_facts(room_id)
        if not found:
            raise not_found("Room not found")
        return found[0]

    async def check_exists(self, room_id: str) -> None:
        await self._facts(room_id)

    async def room_details(self, room_id: str) -> dict[str, Any]:
        room = await self._facts(room_id)
        return {
            **room_json(room),
            "avatar": _content(room, "m.room.avatar", "url"),
            "topic": _content(room, "m.room.topic", "topic"),
            "joined_local_devices": await self.store.joined_devices(room_id),
            "forgotten": False,
            "blocked": await self.store.blocked_by(room_id) is not None,
        }

    async def members(self, room_id: str) -> dict[str, Any]:
        await self._facts(room_id)
        members = sorted(await self.storage.rooms.members(room_id))
        return {"members": members, "total": len(members)}

    async def state(self, room_id: str, admin: Requester) -> dict[str, Any]:
        await self._facts(room_id)
        state = await self.storage.events.current_state(room_id)
        events = sorted(state.values(), key=lambda stored: stored.pos)
        return {"state": await self.serializer.serialize(events, admin, with_relations=False)}

    async def forward_extremities(self, room_id: str) -> dict[str, Any]:
        """The room's forward extremities: one, always, as this server writes each room's events in a line."""
        await self._facts(room_id)
        room = await self.storage.rooms.get_room(room_id)
        results = []
        if room is not None and room.last_event_id is not None:
            last = await self.storage.events.get_event(room.last_event_id)
            received = last.event["origin_server_ts"] if last is not None else None
            results.append(
                {"event_id": room.last_event_id, "state_group": None, "depth": room.last_depth, "received_ts": received}
            )
        return {"count": len(results), "results": results}

    # -- blocking ---------------------------------------------------------------------------------

    async def block_status(self, room_id: str) -> dict[str, Any]:
        """A room need not exist to be blocked (Synapse allows blocking an ID in advance)."""
        blocked_by = await self.store.blocked_by(room_id)
        return {"block": False} if blocked_by is None else {"block": True, "user_id": blocked_by}

    async def set_blocked(self, admin: Requester, room_id: str, block: bool) -> None:
        if not room_id.startswith("!"):
            raise invalid_param("Expected a room ID")
        async with self.storage.db.transaction() as txn:
            if block:
                await self.store.block(txn, room_id, admin.user_id, self.clock.now_ms())
            else:
                await self.store.unblock(txn, room_id)
            await self.audit.record(txn, admin, "room.block" if block else "room.unblock", room_id)

    async def check_joinable(self, room_id: str) -> None:
        """Refuse joins and invites to blocked rooms and to purged ones (a hook of RoomService)."""
        blocked, purged = await self.store.closed_state(room_id)
        if blocked:
            raise forbidden("This room has been blocked on this server")
        if purged:
            raise not_found("Room not found")
