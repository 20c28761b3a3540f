"""Room aliases and the public room directory (client-server API: room aliases, listing rooms)."""

from __future__ import annotations

from typing import Any

from ...errors import MatrixError, forbidden, invalid_param, not_found
from ...events.identifiers import is_valid_room_alias, server_of
from ...events.power_levels import required_event_level, user_power_level
from ...numbers import parse_decimal
from ...storage import Storage
from ..accounts.requester import Requester
from ..audit import Actor, AuditLog
from .events import RoomEventService


class DirectoryService:
    def __init__(self, storage: Storage, room_events: RoomEventService, audit: AuditLog, *, server_name: str) -> None:
        self.storage = storage
        self.audit = audit
        self.room_events = room_events
        self.server_name = server_name

    def _check_alias(self, alias: str) -> None:
        if not is_valid_room_alias(alias):
            raise invalid_param("Invalid room alias")
        if server_of(alias) != self.server_name:
            raise invalid_param("Room alias is not on this server")

    async def resolve(self, alias: str) -> dict[str, Any]:
        if not is_valid_room_alias(alias):
            raise invalid_param("Invalid room alias")
        found = await self.storage.rooms.alias_room(alias)
        if found is None:
            raise not_found("Room alias not found")
        return {"room_id": found[0], "servers": [self.server_name]}

    async def create_alias(self, requester: Requester, alias: str, room_id: Any) -> None:
        self._check_alias(alias)
        if not isinstance(room_id, str):
            raise invalid_param("room_id must be a string")
        if await self.storage.rooms.get_room(room_id) is None:
            raise not_found("Room not found")
        if await self.storage.rooms.membership(room_id, requester.user_id) != "join" and not requester.is_admin:
            raise forbidden("You must be joined to the room to give it an alias")
        if not await self.storage.rooms.create_alias(alias, room_id, requester.user_id):
            raise MatrixError(409, "M_UNKNOWN", "Room alias already exists")

    async def delete_alias(self, requester: Requester, alias: str) -> None:
        self._check_alias(alias)
        found = await self.storage.rooms.alias_room(alias)
        if found is None:
            raise not_found("Room alias not found")
        room_id, creator = found
        # The alias's creator, or whoever may set the room's canonical alias; both only while joined.
        await self._check_room_list_power(
            requester, room_id, "delete this alias", power_needed=creator != requester.user_id
        )
        await self.storage.rooms.delete_alias(alias)

    async def _check_room_list_power(
        self, requester: Requester, room_id: str, action: str, *, power_needed: bool = True
    ) -> None:
        """Server administrators may always; anyone else must be joined to the room and, if `power_needed`,
        have the power to send m.room.canonical_alias (as Synapse decides who may change the room list)."""
        if requester.is_admin:
            return
        if await self.storage.rooms.membership(room_id, requester.user_id) != "join":
            raise forbidden(f"You must be joined to the room to {action}")
        if power_needed:
            state = await self.room_events.current_state(room_id)
            version = await self.room_events.room_version(room_id)
            needed = required_event_level("m.room.canonical_alias", True, state)
            if user_power_level(requester.user_id, state, version) < needed:
                raise forbidden(f"You do not have the power to {action}")

    async def room_aliases(self, requester: Requester, room_id: str) -> list[str]:
        if await self.storage.rooms.membership(room_id, requester.user_id) != "join":
            state = await self.storage.events.current_state_event(room_id, "m.room.history_visibility", "")
            if not state or state.event["content"].get("history_visibility") != "world_readable":
                raise forbidden("You are not in this room")
        return await self.storage.rooms.aliases_of(room_id)

    async def get_visibility(self, room_id: str) -> str:
        room = await self.storage.rooms.get_room(room_id)
        if room is None:
            raise not_found("Room not found")
        return "public" if room.is_public else "private"

    async def set_visibility(self, requester: Requester, room_id: str, visibility: Any) -> None:
        if visibility not in ("public", "private"):
            raise invalid_param("visibility must be 'public' or 'private'")
        if await self.storage.rooms.get_room(room_id) is None:
            raise not_found("Room not found")
        await self._check_room_list_power(requester, room_id, "change whether this room is published")
        async with self.storage.db.transaction() as txn:
            await self.storage.rooms.set_public(room_id, visibility == "public", txn)
            details = {"visibility": visibility}
            await self.audit.record(txn, Actor.of(requester), "room_directory.visibility", room_id, details=details)

    async def public_rooms(self, limit: int | None, since: str | None, search_term: str | None) -> dict[str, Any]:
        room_ids = await self.storage.rooms.public_room_ids()
        entries = []
        for room_id in room_ids:
            entry = await self._public_entry(room_id)
            if search_term:
                term = search_term.lower()
                haystack = " ".join(str(entry.get(k, "")) for k in ("name", "topic", "canonical_alias")).lower()
                if term not in haystack:
                    continue
            entries.append(entry)
        entries.sort(key=lambda e: (-int(e["num_joined_members"]), e["room_id"]))
        start = 0
        if since is not None:
            parsed = parse_decimal(since[1:]) if since.startswith("p") else None
            if parsed is None:
                raise invalid_param("Invalid pagination token")
            start = parsed
        end = len(entries) if limit is None else start + max(0, limit)
        result: dict[str, Any] = {"chunk": entries[start:end], "total_room_count_estimate": len(entries)}
        if end < len(entries):
            result["next_batch"] = f"p{end}"
        if start > 0:
            result["prev_batch"] = f"p{max(0, start - (limit or 0))}"
        return result

    async def room_chunk(self, room_id: str) -> dict[str, Any]:
        """A room as the directory describes it (also the base of room summaries and space hierarchies)."""
        return await self._public_entry(room_id)

    async def _public_entry(self, room_id: str) -> dict[str, Any]:
        state = await self.room_events.current_state(room_id)

        def content(event_type: str) -> dict[str, Any]:
            event = state.get((event_type, ""))
            return dict(event["content"]) if event else {}

        counts = await self.storage.rooms.member_counts(room_id)
        entry: dict[str, Any] = {
            "room_id": room_id,
            "num_joined_members": counts.get("join", 0),
            "world_readable": content("m.room.history_visibility").get("history_visibility") == "world_readable",
            "guest_can_join": content("m.room.guest_access").get("guest_access") == "can_join",
            "join_rule": content("m.room.join_rules").get("join_rule", "invite"),
        }
        for key, event_type, field in (
            ("name", "m.room.name", "name"),
            ("topic", "m.room.topic", "topic"),
            ("canonical_alias", "m.room.canonical_alias", "alias"),
            ("avatar_url", "m.room.avatar", "url"),
        ):
            value = content(event_type).get(field)
            if isinstance(value, str) and value:
                entry[key] = value
        room_type = content("m.room.create").get("type")
        if isinstance(room_type, str):
            entry["room_type"] = room_type
        return entry
