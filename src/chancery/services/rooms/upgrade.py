"""Room upgrades (client-server API: room upgrades): a replacement room of another version, the old one
tombstoned and quietened, its state, aliases and directory entry moved over, and each local member's
settings for it (tags, direct-chat mark, push rules) carried to the new room when they join it.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from ...errors import MatrixError, bad_json, forbidden, invalid_param
from ...events.builder import EventDraft
from ...events.identifiers import is_valid_user_id
from ...events.power_levels import required_event_level, room_creators, user_power_level
from ...events.room_versions import RoomVersion, get_room_version
from ...policy.classification import ACCESS_RULE_EVENT, CLASSIFICATION_EVENT
from ...storage import Storage
from ...storage.events import StoredEvent
from ..accounts.requester import Requester
from ..notifier import Change, Notifier, user_key
from ..push.rules import PushRuleService
from .events import RoomEventService, RoomWriter
from .service import RoomService
from .state_cache import StateMap

log = logging.getLogger(__name__)

TOMBSTONE = "m.room.tombstone"
POWER_LEVELS = ("m.room.power_levels", "")
# The state the spec recommends transferring, in the order it is re-created.
TRANSFERRED_STATE = (
    "m.room.join_rules",
    "m.room.history_visibility",
    "m.room.guest_access",
    "m.room.name",
    "m.room.topic",
    "m.room.avatar",
    "m.room.encryption",
    "m.room.server_acl",
    "m.room.related_groups",
    # An institution's labels go with the room: an upgrade must not declassify it or open it to externals.
    CLASSIFICATION_EVENT,
    ACCESS_RULE_EVENT,
)
# Keys of the old create event the replacement keeps (its kind, and whether other servers may take part).
_CREATE_KEYS_KEPT = ("type", "m.federate")


def refuse_self_tombstone(event: dict[str, Any], _state: StateMap, _version: RoomVersion) -> None:
    """A tombstone must point at another room."""
    if event["type"] == TOMBSTONE and event["content"].get("replacement_room") == event["room_id"]:
        raise bad_json("A room cannot be replaced by itself")


class RoomUpgradeService:
    def __init__(
        self,
        storage: Storage,
        room_events: RoomEventService,
        rooms: RoomService,
        push_rules: PushRuleService,
        notifier: Notifier,
    ) -> None:
        self.storage = storage
        self.room_events = room_events
        self.rooms = rooms
        self.push_rules = push_rules
        self.notifier = notifier

    async def upgrade(self, requester: Requester, room_id: str, new_version: Any, additional_creators: Any) -> str:
        """Replace `room_id` with a new room of `new_version`, in one transaction; return the new room's ID."""
        if not isinstance(new_version, str):
            raise bad_json("new_version must be a string")
        version = get_room_version(new_version)
        if version is None:
            raise MatrixError(400, "M_UNSUPPORTED_ROOM_VERSION", "This server does not support that room version")
        extra_creators = _additional_creators(additional_creators, version, requester.user_id)
        user_id = requester.user_id
        events = self.room_events
        await events.room_version(room_id)  # 404 for a room that does not exist
        # Where the create event does not define the room ID, the new room is named first, so that its
        # `predecessor` can point at the tombstone that names it (v12 cannot: the spec lets it leave that out).
        reserved = None
        if not version.create_event_defines_room_id:
            reserved = f"!{events.randomness.letters(18)}:{events.server_name}"
        async with events.replacing(room_id, version, reserved) as (old, new):
            state = old.state
            if _membership(state, user_id) != "join":
                raise forbidden("You are not in this room")
            if user_power_level(user_id, state, old.version) < required_event_level(TOMBSTONE, True, state):
                raise forbidden("You may not upgrade this room")
            tombstone = await old.prepare(_tombstone(user_id, reserved)) if reserved is not None else None
            predecessor = {"room_id": room_id}
            if tombstone is not None:
                predecessor["event_id"] = tombstone["event_id"]
            await self._fill_replacement(new, state, old.version, user_id, predecessor, extra_creators)
            assert new.room_id is not None
            new_room_id = new.room_id
            if tombstone is None:
                tombstone = await old.prepare(_tombstone(user_id, new_room_id))
            await old.store(tombstone)
            await self._retire(old, user_id, new_room_id)
        canonical = state.get(("m.room.canonical_alias", ""))
        if canonical is not None and canonical["content"]:
            # Once the aliases moved: the new room's canonical alias must name aliases of the new room.
            async with events.writing(new_room_id) as writer:
                await _try_append(writer, EventDraft("m.room.canonical_alias", user_id, canonical["content"], ""))
        log.info("room upgraded", extra={"room_id": room_id, "replacement": new_room_id, "version": new_version})
        return new_room_id

    async def _fill_replacement(
        self,
        writer: RoomWriter,
        state: StateMap,
        old_version: RoomVersion,
        user_id: str,
        predecessor: dict[str, str],
        extra_creators: list[str],
    ) -> None:
        """The new room: create (with `predecessor`), the upgrader's join, the transferred state and bans."""
        version = writer.version
        old_create = state[("m.room.create", "")]["content"]
        content: dict[str, Any] = {k: old_create[k] for k in _CREATE_KEYS_KEPT if k in old_create}
        content["room_version"] = version.identifier
        content["predecessor"] = predecessor
        if not version.v11_redaction_and_format:
            content["creator"] = user_id
        if extra_creators:
            content["additional_creators"] = extra_creators
        await writer.append(EventDraft("m.room.create", user_id, content, ""))
        member = await self.rooms.member_content(user_id, "join")
        await writer.append(EventDraft("m.room.member", user_id, member, user_id))
        final_levels = self._power_levels(state, old_version, version, user_id, extra_creators)
        final_state = {POWER_LEVELS: {"content": final_levels}}
        needed = max(required_event_level(t, True, final_state) for t in (*TRANSFERRED_STATE, POWER_LEVELS[0]))
        levels = final_levels
        if not version.create_event_defines_room_id and _level_in(final_levels, user_id) < needed:
            # Raised for as long as the state is copied (the old room may have lowered the upgrader since).
            levels = {**final_levels, "users": {**final_levels.get("users", {}), user_id: needed}}
        await writer.append(EventDraft("m.room.power_levels", user_id, levels, ""))
        for event_type in TRANSFERRED_STATE:
            event = state.get((event_type, ""))
            if event is not None:
                await writer.append(EventDraft(event_type, user_id, copy.deepcopy(event["content"]), ""))
        await self._copy_bans(writer, state, user_id)
        # Then the old room's levels exactly (always: clients and the reference test suite expect this second
        # power levels event after the copied state).
        await writer.append(EventDraft("m.room.power_levels", user_id, final_levels, ""))

    async def _copy_bans(self, writer: RoomWriter, state: StateMap, user_id: str) -> None:
        """Banned users stay banned (as far as the upgrader's power allows)."""
        for (event_type, target), event in sorted(state.items()):
            if event_type != "m.room.member" or event["content"].get("membership") != "ban":
                continue
            content = {"membership": "ban", **{k: v for k, v in event["content"].items() if k == "reason"}}
            await _try_append(writer, EventDraft("m.room.member", user_id, content, target))

    @staticmethod
    def _power_levels(
        state: StateMap, old_version: RoomVersion, version: RoomVersion, user_id: str, extra_creators: list[str]
    ) -> dict[str, Any]:
        old = state.get(POWER_LEVELS)
        levels: dict[str, Any] = copy.deepcopy(old["content"]) if old is not None else {}
        users = dict(levels.get("users", {})) if isinstance(levels.get("users"), dict) else {}
        if version.create_event_defines_room_id:
            # Creators have unlimited power there and may not be listed.
            for creator in {user_id, *extra_creators}:
                users.pop(creator, None)
        elif old_version.create_event_defines_room_id:
            # The old room's creators had unlimited power, which this version expresses as 100.
            for creator in room_creators(state.get(("m.room.create", "")), old_version) | {user_id}:
                if _level_in({"users": users}, creator) < 100:
                    users[creator] = 100
        levels["users"] = users
        return levels

    async def _retire(self, writer: RoomWriter, user_id: str, new_room_id: str) -> None:
        """After the tombstone: aliases and directory entry moved, the old room quietened."""
        room_id = writer.room_id
        assert room_id is not None
        state = writer.state
        await self.storage.rooms.move_aliases(writer.txn, room_id, new_room_id)
        room = await self.storage.rooms.get_room(room_id, writer.txn)
        if room is not None and room.is_public:
            await self.storage.rooms.set_public(room_id, False, writer.txn)
            await self.storage.rooms.set_public(new_room_id, True, writer.txn)
        canonical = state.get(("m.room.canonical_alias", ""))
        if canonical is not None and canonical["content"]:
            await _try_append(writer, EventDraft("m.room.canonical_alias", user_id, {}, ""))
        old = state.get(POWER_LEVELS)
        if old is not None:
            await _try_append(writer, EventDraft("m.room.power_levels", user_id, _quietened(old["content"]), ""))

    # -- a member's settings follow them to the new room ---------------------------------------------

    async def on_committed(self, written: list[StoredEvent]) -> None:
        """A local user joined an upgraded room for the first time: bring their settings for its predecessor."""
        for stored in written:
            event = stored.event
            if event["type"] != "m.room.member" or event["content"].get("membership") != "join":
                continue
            if event.get("unsigned", {}).get("prev_content", {}).get("membership") == "join":
                continue  # a profile change
            create = await self.storage.events.current_state_event(event["room_id"], "m.room.create", "")
            predecessor = create.event["content"].get("predecessor") if create is not None else None
            if isinstance(predecessor, dict) and isinstance(predecessor.get("room_id"), str):
                await self.carry_over(event["state_key"], predecessor["room_id"], event["room_id"])

    async def carry_over(self, user_id: str, old_room_id: str, new_room_id: str) -> None:
        """Tags, the direct-chat mark and push rules the user had for the old room, now for the new one."""
        if not await self.storage.users.user_exists(user_id):
            return  # not a local user
        account = self.storage.account
        positions: list[int] = []
        tags = await account.get_account_data(user_id, old_room_id, "m.tag")
        if tags and not await account.get_account_data(user_id, new_room_id, "m.tag"):
            positions.append(await account.put_account_data(user_id, new_room_id, "m.tag", tags))
        direct = await account.get_account_data(user_id, "", "m.direct")
        if direct:
            updated = {
                peer: [*rooms, new_room_id] if old_room_id in rooms and new_room_id not in rooms else rooms
                for peer, rooms in direct.items()
                if isinstance(rooms, list)
            }
            if updated != direct:
                positions.append(await account.put_account_data(user_id, "", "m.direct", updated))
        if positions:
            await self.notifier.notify(max(positions), [user_key(user_id, Change.ACCOUNT_DATA)], first=min(positions))
        await self.push_rules.copy_room_rules(user_id, old_room_id, new_room_id)


def _tombstone(user_id: str, replacement: str) -> EventDraft:
    return EventDraft(TOMBSTONE, user_id, {"body": "This room has been replaced", "replacement_room": replacement}, "")


def _membership(state: StateMap, user_id: str) -> str | None:
    member = state.get(("m.room.member", user_id))
    membership = member["content"].get("membership") if member is not None else None
    return membership if isinstance(membership, str) else None


def _additional_creators(value: Any, version: RoomVersion, user_id: str) -> list[str]:
    if value is None or not version.create_event_defines_room_id:
        return []  # the spec: ignored for versions without additional creators
    if not isinstance(value, list) or not all(isinstance(u, str) and is_valid_user_id(u) for u in value):
        raise invalid_param("additional_creators must be a list of user IDs")
    return sorted(set(value) - {user_id})


def _level_in(levels: dict[str, Any], user_id: str) -> int:
    users = levels.get("users", {})
    value = users.get(user_id) if isinstance(users, dict) else None
    if value is None:
        value = levels.get("users_default", 0)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _quietened(levels: dict[str, Any]) -> dict[str, Any]:
    """The old room's levels with sending and inviting raised out of ordinary members' reach (the spec's
    suggestion: the greater of 50 and users_default + 1)."""
    users_default = levels.get("users_default", 0)
    users_default = users_default if isinstance(users_default, int) and not isinstance(users_default, bool) else 0
    floor = max(50, users_default + 1)
    quiet = copy.deepcopy(levels)
    for key in ("events_default", "invite"):
        current = quiet.get(key, 0)
        if not isinstance(current, int) or isinstance(current, bool) or current < floor:
            quiet[key] = floor
    return quiet


async def _try_append(writer: RoomWriter, draft: EventDraft) -> None:
    """Append unless the room's rules refuse it (checked before anything is written)."""
    try:
        await writer.append(draft)
    except MatrixError as exc:
        log.info("upgrade step skipped", extra={"event_type": draft.event_type, "reason": exc.error})
