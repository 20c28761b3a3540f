"""Creating rooms and changing membership (client-server API: room creation, room membership)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from ...errors import MatrixError, forbidden, invalid_param, not_found
from ...events.builder import EventDraft
from ...events.canonical import check_canonical_values
from ...events.identifiers import is_valid_new_localpart, is_valid_room_alias, is_valid_user_id, server_of
from ...events.room_versions import RoomVersion, get_room_version
from ...storage import Storage
from ...storage.events import StoredEvent
from ..accounts.requester import Requester
from .create_body import check_create_room_types
from .events import RoomEventService

_PRESETS: dict[str, dict[str, str]] = {
    "private_chat": {"join_rule": "invite", "history_visibility": "shared", "guest_access": "can_join"},
    "trusted_private_chat": {
        "join_rule": "invite",
        "history_visibility": "shared",
        "guest_access": "can_join",
    },
    "public_chat": {"join_rule": "public", "history_visibility": "shared", "guest_access": "forbidden"},
}

_DEFAULT_EVENT_LEVELS = {
    "m.room.name": 50,
    "m.room.power_levels": 100,
    "m.room.history_visibility": 100,
    "m.room.canonical_alias": 50,
    "m.room.avatar": 50,
    "m.room.tombstone": 100,
    "m.room.server_acl": 100,
    "m.room.encryption": 100,
}

_CREATE_HANDLED_TYPES = {"m.room.create", "m.room.member", "m.room.power_levels"}

# Asked before anyone joins, knocks or is invited (given the room ID); raises a Matrix error to refuse.
JoinCheck = Callable[[str], Awaitable[None]]


class RoomService:
    def __init__(self, storage: Storage, events: RoomEventService, *, server_name: str, default_version: str) -> None:
        self.storage = storage
        self.events = events
        self.server_name = server_name
        self.default_version = default_version
        self.join_checks: list[JoinCheck] = []
        # State every new room gets unless its initial_state sets it (e.g. the default classification).
        self.default_state: list[tuple[str, str, dict[str, Any]]] = []

    async def _member_content(self, user_id: str, membership: str, **extra: Any) -> dict[str, Any]:
        content: dict[str, Any] = {"membership": membership}
        if membership in ("join", "invite", "knock"):
            user = await self.storage.users.get_user(user_id)
            if user is not None and user.displayname:
                content["displayname"] = user.displayname
            if user is not None and user.avatar_url:
                content["avatar_url"] = user.avatar_url
        content.update({k: v for k, v in extra.items() if v is not None})
        return content

    async def member_content(self, user_id: str, membership: str) -> dict[str, Any]:
        """A local user's membership content, with their display name and avatar where the spec wants them."""
        return await self._member_content(user_id, membership)

    # -- creation ---------------------------------------------------------------------------------

    async def create_room(self, requester: Requester, body: dict[str, Any]) -> tuple[str, str | None]:
        """Create a room from a /createRoom body; everything commits in one transaction."""
        check_create_room_types(body)
        requested = body.get("room_version", self.default_version)
        version = get_room_version(requested) if isinstance(requested, str) else None
        if version is None:
            raise MatrixError(400, "M_UNSUPPORTED_ROOM_VERSION", "Unsupported room version")
        visibility = body.get("visibility", "private")
        if visibility not in ("public", "private"):
            raise invalid_param("visibility must be 'public' or 'private'")
        preset = body.get("preset", "public_chat" if visibility == "public" else "private_chat")
        if preset not in _PRESETS:
            raise invalid_param(f"Unknown preset {preset!r}")
        invites = body.get("invite", [])
        if not isinstance(invites, list) or not all(isinstance(u, str) and is_valid_user_id(u) for u in invites):
            raise invalid_param("invite must be a list of user IDs")
        for invitee in invites:
            await self._check_invitee(invitee)
        alias = self._alias_for(body.get("room_alias_name"))
        if alias is not None and await self.storage.rooms.alias_room(alias) is not None:
            raise MatrixError(400, "M_ROOM_IN_USE", "Room alias already taken")
        initial_state = body.get("initial_state", [])
        if not isinstance(initial_state, list) or not all(
            isinstance(e, dict) and isinstance(e.get("type"), str) and isinstance(e.get("content"), dict)
            for e in initial_state
        ):
            raise invalid_param("initial_state must be a list of state events")
        for index, entry in enumerate(initial_state):
            check_canonical_values(entry["content"], f"initial_state[{index}].content")
        creation_content = body.get("creation_content", {})
        if not isinstance(creation_content, dict):
            raise invalid_param("creation_content must be an object")
        override = body.get("power_level_content_override", {})
        if not isinstance(override, dict):
            raise invalid_param("power_level_content_override must be an object")
        check_canonical_values(creation_content, "creation_content")
        check_canonical_values(override, "power_level_content_override")

        sender = requester.user_id
        async with self.events.new_room(version) as writer:
            await writer.append(
                EventDraft(
                    "m.room.create",
                    sender,
                    self._create_content(sender, version, preset, invites, creation_content),
                    "",
                )
            )
            assert writer.room_id is not None
            room_id = writer.room_id
            await writer.append(EventDraft("m.room.member", sender, await self._member_content(sender, "join"), sender))
            await writer.append(
                EventDraft(
                    "m.room.power_levels",
                    sender,
                    self._power_levels(sender, version, preset, invites, override),
                    "",
                )
            )
            if alias is not None:
                await self.storage.rooms.create_alias(alias, room_id, sender, writer.txn)
                await writer.append(EventDraft("m.room.canonical_alias", sender, {"alias": alias}, ""))
            settings = _PRESETS[preset]
            overridden = {(e["type"], e.get("state_key", "")) for e in initial_state}
            for event_type, key, content in (
                ("m.room.join_rules", "", {"join_rule": settings["join_rule"]}),
                ("m.room.history_visibility", "", {"history_visibility": settings["history_visibility"]}),
                ("m.room.guest_access", "", {"guest_access": settings["guest_access"]}),
                *self.default_state,
            ):
                if (event_type, key) not in overridden:
                    await writer.append(EventDraft(event_type, sender, content, key))
            for entry in initial_state:
                if entry["type"] in _CREATE_HANDLED_TYPES:
                    raise invalid_param(f"initial_state may not contain {entry['type']}")
                await writer.append(
                    EventDraft(entry["type"], sender, entry["content"], str(entry.get("state_key", "")))
                )
            for event_type, field_name in (("m.room.name", "name"), ("m.room.topic", "topic")):
                value = body.get(field_name)
                if value is not None:
                    if not isinstance(value, str):
                        raise invalid_param(f"{field_name} must be a string")
                    await writer.append(EventDraft(event_type, sender, {field_name: value}, ""))
            is_direct = bool(body.get("is_direct", False))
            for invitee in invites:
                content = await self._member_content(invitee, "invite", is_direct=True if is_direct else None)
                await writer.append(EventDraft("m.room.member", sender, content, invitee))
            if visibility == "public":
                await self.storage.rooms.set_public(room_id, True, writer.txn)
        return room_id, alias

    def _alias_for(self, name: Any) -> str | None:
        if name is None:
            return None
        if not isinstance(name, str) or not name or ":" in name or not is_valid_new_localpart(name.lower()):
            raise invalid_param("room_alias_name is not a valid alias localpart")
        alias = f"#{name}:{self.server_name}"
        if not is_valid_room_alias(alias):
            raise invalid_param("room_alias_name is too long")
        return alias

    @staticmethod
    def _create_content(
        sender: str, version: RoomVersion, preset: str, invites: list[str], extra: dict[str, Any]
    ) -> dict[str, Any]:
        content = {**extra, "room_version": version.identifier}
        if not version.v11_redaction_and_format:
            content["creator"] = sender
        if version.create_event_defines_room_id and preset == "trusted_private_chat" and invites:
            content["additional_creators"] = sorted(set(invites) - {sender})
        return content

    @staticmethod
    def _power_levels(
        sender: str, version: RoomVersion, preset: str, invites: list[str], override: dict[str, Any]
    ) -> dict[str, Any]:
        users: dict[str, int] = {}
        if not version.create_event_defines_room_id:
            users[sender] = 100
            if preset == "trusted_private_chat":
                users.update({invitee: 100 for invitee in invites})
        content: dict[str, Any] = {
            "users": users,
            "users_default": 0,
            "events": dict(_DEFAULT_EVENT_LEVELS),
            "events_default": 0,
            "state_default": 50,
            "ban": 50,
            "kick": 50,
            "redact": 50,
            "invite": 50 if preset == "public_chat" else 0,
            "notifications": {"room": 50},
        }
        content.update(override)
        return content

    # -- membership -------------------------------------------------------------------------------

    async def _check_invitee(self, user_id: str) -> None:
        if server_of(user_id) != self.server_name:
            raise forbidden("Federation is not enabled on this server")
        user = await self.storage.users.get_user(user_id)
        if user is None or user.deactivated:
            raise not_found(f"Unknown user {user_id}")

    async def resolve_room(self, room_id_or_alias: str) -> str:
        if room_id_or_alias.startswith("#"):
            found = await self.storage.rooms.alias_room(room_id_or_alias)
            if found is None:
                raise not_found("Room alias not found")
            return found[0]
        if not room_id_or_alias.startswith("!"):
            raise invalid_param("Expected a room ID or alias")
        return room_id_or_alias

    async def _set_membership(self, room_id: str, sender: str, target: str, content: dict[str, Any]) -> StoredEvent:
        if content["membership"] in ("join", "invite", "knock"):
            for check in self.join_checks:
                await check(room_id)
        async with self.events.writing(room_id) as writer:
            stored = await writer.append(EventDraft("m.room.member", sender, content, target))
            if content["membership"] in ("join", "invite"):
                await self.storage.rooms.unforget(writer.txn, target, room_id)
        return stored

    async def join(self, requester: Requester, room_id_or_alias: str, reason: str | None = None) -> str:
        room_id = await self.resolve_room(room_id_or_alias)
        if await self.storage.rooms.get_room(room_id) is None:
            raise not_found("Room not found")
        if await self.storage.rooms.membership(room_id, requester.user_id) == "join":
            return room_id  # joining twice is a no-op, as clients retry joins
        if requester.is_guest:
            await self._check_guests_may_join(room_id)
        content = await self._member_content(requester.user_id, "join", reason=reason)
        await self._set_membership(room_id, requester.user_id, requester.user_id, content)
        return room_id

    async def _check_guests_may_join(self, room_id: str) -> None:
        """Guests join only rooms whose guest access is `can_join` (client-server API: guest access)."""
        event = await self.storage.events.current_state_event(room_id, "m.room.guest_access", "")
        if event is None or event.event["content"].get("guest_access") != "can_join":
            raise forbidden("Guests may not join this room")

    async def knock(self, requester: Requester, room_id_or_alias: str, reason: str | None) -> str:
        """Ask to join a room whose join rule is `knock` (client-server API: knocking on rooms)."""
        room_id = await self.resolve_room(room_id_or_alias)
        if await self.storage.rooms.get_room(room_id) is None:
            raise not_found("Room not found")
        content = await self._member_content(requester.user_id, "knock", reason=reason)
        await self._set_membership(room_id, requester.user_id, requester.user_id, content)
        return room_id

    async def invite(self, requester: Requester, room_id: str, target: str, reason: str | None) -> None:
        if not is_valid_user_id(target):
            raise invalid_param("Invalid user ID")
        await self._check_invitee(target)
        content = await self._member_content(target, "invite", reason=reason)
        await self._set_membership(room_id, requester.user_id, target, content)

    async def leave(self, requester: Requester, room_id: str, reason: str | None) -> None:
        current = await self.storage.rooms.membership(room_id, requester.user_id)
        if current in (None, "leave"):
            if await self.storage.rooms.get_room(room_id) is None:
                raise not_found("Room not found")
            return  # leaving a room you are not in is a no-op
        content = await self._member_content(requester.user_id, "leave", reason=reason)
        await self._set_membership(room_id, requester.user_id, requester.user_id, content)

    async def _require_joined(self, requester: Requester, room_id: str) -> None:
        """Before anything is said about other members: someone outside the room must not learn from the
        answer who is in it (or banned from it)."""
        if await self.storage.rooms.membership(room_id, requester.user_id) != "join":
            raise forbidden("You are not joined to this room")

    async def kick(self, requester: Requester, room_id: str, target: str, reason: str | None) -> None:
        await self._require_joined(requester, room_id)
        current = await self.storage.rooms.membership(room_id, target)
        if current not in ("join", "invite", "knock"):
            raise forbidden("The user is not in the room")
        await self._set_membership(room_id, requester.user_id, target, {"membership": "leave", **_reason(reason)})

    async def ban(self, requester: Requester, room_id: str, target: str, reason: str | None) -> None:
        if not is_valid_user_id(target):
            raise invalid_param("Invalid user ID")
        await self._set_membership(room_id, requester.user_id, target, {"membership": "ban", **_reason(reason)})

    async def unban(self, requester: Requester, room_id: str, target: str, reason: str | None) -> None:
        await self._require_joined(requester, room_id)
        if await self.storage.rooms.membership(room_id, target) != "ban":
            raise forbidden("The user is not banned")
        await self._set_membership(room_id, requester.user_id, target, {"membership": "leave", **_reason(reason)})

    async def forget(self, requester: Requester, room_id: str) -> None:
        membership = await self.storage.rooms.membership(room_id, requester.user_id)
        if membership is None:
            raise not_found("You have never been in this room")
        if membership in ("join", "invite", "knock"):
            raise MatrixError(400, "M_UNKNOWN", "Leave the room before forgetting it")
        await self.storage.rooms.forget(requester.user_id, room_id)

    async def leave_all(self, user_id: str) -> None:
        """Deactivation: leave every joined or invited room and reject every invite."""
        for membership in ("join", "invite", "knock"):
            for room_id in await self.storage.rooms.rooms_for_user(user_id, membership):
                await self._set_membership(room_id, user_id, user_id, {"membership": "leave"})

    async def update_profile_in_rooms(self, user_id: str) -> None:
        """Propagate a display name or avatar change to the member event of every joined room."""
        for room_id in await self.storage.rooms.rooms_for_user(user_id, "join"):
            try:
                content = await self._member_content(user_id, "join")
                await self._set_membership(room_id, user_id, user_id, content)
            except MatrixError:
                continue  # a room whose rules forbid the update keeps the old profile


def _reason(reason: str | None) -> dict[str, Any]:
    return {"reason": reason} if reason else {}
