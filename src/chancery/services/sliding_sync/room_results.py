"""The `rooms` of a sliding sync response: for each room to send, what is new since the connection last sent it.

A room the connection never sent (or that the user has joined since) goes out whole (`initial`). Otherwise
only what changed: events after the position it was last sent up to, the state that changed meanwhile, and
what a larger timeline_limit or required_state now asks for. Timelines pass the history-visibility check;
a room the user left is seen only up to their leave.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ...events.sliding_sync import MEMBER, RequiredState, RoomConfig
from ...storage import Storage
from ...storage.events import StateKey, StoredEvent
from ...storage.sliding_sync import SentRoom, current_state_by_keys
from ..accounts.requester import Requester
from ..push.unread import UnreadCounter
from ..rooms.recent_events import RecentEvents
from ..rooms.serialize import EventSerializer
from ..rooms.visibility import VisibilityService
from ..sync.request import make_token
from .room_list import ListedRoom

MAX_HEROES = 5
NAME, AVATAR = ("m.room.name", ""), ("m.room.avatar", "")
StrippedState = Callable[[str, str], Awaitable[list[dict[str, Any]]]]  # (room, user) -> what an invitee sees


@lru_cache(maxsize=1024)
def sent_required_state(canonical: str) -> RequiredState:
    """The required_state a room was sent with (connections repeat the same few, and every request asks)."""
    return RequiredState.from_canonical(canonical)


@dataclass
class RoomToSend:
    listed: ListedRoom
    config: RoomConfig
    sent: SentRoom | None  # what the connection sent of it before (None: never)
    lists: list[str] = field(default_factory=list)
    read_since_sent: bool = False  # the user's read receipt moved: its unread counts changed
    dm_changed: bool = False  # the user's m.direct changed since the room was last sent: its is_dm goes out

    @property
    def initial(self) -> bool:
        """Sent whole: never sent on this connection, or joined since it last was."""
        room = self.listed
        return self.sent is None or (room.membership == "join" and room.membership_pos > self.sent.sent_upto)

    @property
    def visible_upto_member(self) -> bool:
        return self.listed.membership != "join"


def needs_sending(room: RoomToSend) -> bool:
    """Whether the room has anything new for the connection."""
    sent = room.sent
    if sent is None:
        return True
    listed = room.listed
    if listed.membership_pos > sent.sent_upto or (listed.membership == "join" and listed.latest_pos > sent.sent_upto):
        return True
    if listed.membership != "join" and listed.membership not in ("leave", "ban"):
        return False
    if room.read_since_sent or room.dm_changed:
        return True
    return room.config.timeline_limit > sent.timeline_limit or _state_expanded(room)


def _state_expanded(room: RoomToSend) -> bool:
    assert room.sent is not None
    before = sent_required_state(room.sent.required_state)
    return room.config.required_state != before and room.config.required_state.union(before) != before


@dataclass
class _Plan:
    room: RoomToSend
    after: int  # timeline events after this position
    upto: int  # ... up to this one
    timeline: list[StoredEvent] = field(default_factory=list)
    limited: bool = False
    expanded: bool = False
    state: list[StoredEvent] = field(default_factory=list)
    state_map: dict[StateKey, StoredEvent] = field(default_factory=dict)
    changed_keys: set[StateKey] | None = None  # None: everything (initial)


class RoomResults:
    def __init__(
        self,
        storage: Storage,
        serializer: EventSerializer,
        visibility: VisibilityService,
        unread: UnreadCounter,
        stripped_state: StrippedState,
        recent_events: RecentEvents | None,
    ) -> None:
        self.storage = storage
        self.serializer = serializer
        self.visibility = visibility
        self.unread = unread
        self.stripped_state = stripped_state  # SyncService.stripped_state
        self.recent_events = recent_events

    async def build(
        self, requester: Requester, rooms: list[RoomToSend], since: int | None, upto: int, direct: set[str]
    ) -> tuple[dict[str, dict[str, Any]], dict[str, list[str]]]:
        """room ID -> its response entry, for rooms that need sending (see needs_sending); and room ID -> the
        IDs of the events in its timeline."""
        user_id = requester.user_id
        entries: dict[str, dict[str, Any]] = {}
        plans = []
        for room in rooms:
            listed = room.listed
            if listed.membership in ("invite", "knock"):
                entries[listed.room_id] = await self._invited(room, user_id)
                continue
            room_upto = listed.membership_pos if room.visible_upto_member else upto
            after = 0 if room.initial or room.sent is None else room.sent.sent_upto
            plan = _Plan(room, after, room_upto)
            if room.sent is not None and not room.initial and room.config.timeline_limit > room.sent.timeline_limit:
                plan.after, plan.expanded = 0, True
            plans.append(plan)
        await self._timelines(user_id, plans)
        await self._states(user_id, plans)
        joined = [p.room.listed.room_id for p in plans if p.room.listed.membership == "join"]
        # Member counts go out whole, and on an increment only when a membership changed.
        counted = [p.room.listed.room_id for p in plans if p.room.listed.membership == "join" and _members_changed(p)]
        counts = await self.storage.rooms.member_counts_of_rooms(counted) if counted else {}
        unread = await self.unread.counts(joined, user_id, upto) if joined else {}
        groups = [group for p in plans for group in (p.timeline, p.state)]
        serialized = await self.serializer.serialize_groups_json(groups, requester, include_room_id=False)
        for index, plan in enumerate(plans):
            room_id = plan.room.listed.room_id
            entry = self._entry(plan, user_id, since, room_id in direct)
            entry["timeline"] = serialized[2 * index]
            entry["required_state"] = serialized[2 * index + 1]
            if room_id in counts:
                entry["joined_count"] = counts[room_id].get("join", 0)
                entry["invited_count"] = counts[room_id].get("invite", 0)
            if room_id in unread:
                entry["notification_count"], entry["highlight_count"] = unread[room_id]
            entries[room_id] = entry
        return entries, {p.room.listed.room_id: [s.event_id for s in p.timeline] for p in plans}

    def _entry(self, plan: _Plan, user_id: str, since: int | None, is_dm: bool) -> dict[str, Any]:
        room = plan.room
        entry: dict[str, Any] = {
            "bump_stamp": room.listed.bump_stamp,
            "membership": room.listed.membership,
            "limited": plan.limited,
            "num_live": sum(1 for s in plan.timeline if since is not None and s.pos > since),
        }
        if room.initial:
            entry["initial"] = True
        if is_dm or room.dm_changed:
            entry["is_dm"] = is_dm
        if plan.expanded:
            entry["expanded_timeline"] = entry["unstable_expanded_timeline"] = True
        if room.lists:
            entry["lists"] = room.lists
        if plan.timeline:
            entry["prev_batch"] = make_token(plan.timeline[0].pos - 1)
        changed = plan.changed_keys
        state = plan.state_map
        for field_name, key, content_key in (("name", NAME, "name"), ("avatar", AVATAR, "url")):
            if changed is None or key in changed:
                value = state[key].event["content"].get(content_key) if key in state else None
                if isinstance(value, str) and value:
                    entry[field_name] = value
                elif changed is not None:
                    entry[field_name] = None  # removed since the connection last sent the room
        if "name" not in entry and NAME not in state and _members_changed(plan):
            entry["heroes"] = _heroes(state, user_id)
        return entry

    async def _invited(self, room: RoomToSend, user_id: str) -> dict[str, Any]:
        listed = room.listed
        entry: dict[str, Any] = {"bump_stamp": listed.bump_stamp, "membership": listed.membership}
        if room.sent is None or listed.membership_pos > room.sent.sent_upto:
            stripped = await self.stripped_state(listed.room_id, user_id)
            entry |= {"initial": True, "invite_state": stripped, "notification_count": 0, "highlight_count": 0}
            names = [e["content"].get("name") for e in stripped if (e["type"], e["state_key"]) == NAME]
            if names and isinstance(names[0], str) and names[0]:
                entry["name"] = names[0]
        if room.lists:
            entry["lists"] = room.lists
        return entry

    # -- timelines ----------------------------------------------------------------------------------

    async def _timelines(self, user_id: str, plans: list[_Plan]) -> None:
        groups: dict[tuple[int, int, int], list[_Plan]] = {}
        for plan in plans:
            groups.setdefault((plan.after, plan.upto, plan.room.config.timeline_limit), []).append(plan)
        batches: dict[str, list[StoredEvent]] = {}
        for (after, upto, limit), group in groups.items():
            missing = []
            for plan in group:
                room_id = plan.room.listed.room_id
                held = self.recent_events.window(room_id, after, upto, limit + 1) if self.recent_events else None
                if held is None:
                    missing.append(room_id)
                else:
                    batches[room_id] = [cached.stored for cached in held]
            if missing:
                batches |= await self.storage.events.recent_events_in_rooms(
                    missing, after=after, upto=upto, count=limit + 1
                )
        visible = await self.visibility.filter_visible_in_rooms(user_id, batches)
        for plan in plans:
            room_id, limit = plan.room.listed.room_id, plan.room.config.timeline_limit
            batch = batches.get(room_id, [])
            plan.timeline = list(reversed(visible.get(room_id, [])[:limit]))
            plan.limited = len(batch) > limit

    # -- required_state -----------------------------------------------------------------------------

    async def _states(self, user_id: str, plans: list[_Plan]) -> None:
        """Each room's required_state, and the state its other fields (name, avatar, heroes) come from.

        A room sent whole, or whose required_state grew, needs its whole state; an increment needs only the
        keys that changed and the members its timeline needs, so a busy room's member list is not read on
        every message."""
        whole = [p for p in plans if not p.room.visible_upto_member and _needs_whole_state(p.room)]
        current = await self.storage.events.current_state_of_rooms([p.room.listed.room_id for p in whole])
        for plan in plans:
            room = plan.room
            room_id = room.listed.room_id
            wanted = room.config.required_state
            lazy = _lazy_members(plan.timeline) if wanted.lazy_members else set()
            if room.visible_upto_member:
                plan.state_map = await self.storage.events.state_at(room_id, room.listed.membership_pos)
            elif room_id in current:
                plan.state_map = current[room_id]
            if room.initial or room.sent is None:
                chosen = {k for k in plan.state_map if wanted.matches(k[0], k[1], user_id)}
            else:
                changed = set(await self.storage.events.state_changed_between(room_id, room.sent.sent_upto, plan.upto))
                plan.changed_keys = changed
                chosen = {k for k in changed if wanted.matches(k[0], k[1], user_id)}
                if room_id in current or room.visible_upto_member:
                    before = sent_required_state(room.sent.required_state)
                    chosen |= {
                        k
                        for k in plan.state_map
                        if wanted.matches(k[0], k[1], user_id) and not before.matches(k[0], k[1], user_id)
                    }
                else:
                    needed = chosen | lazy | ({NAME, AVATAR} & changed)
                    if any(k[0] == MEMBER for k in changed):
                        needed.add(NAME)  # heroes are sent only for a room without a name
                    plan.state_map = await current_state_by_keys(self.storage.db, room_id, sorted(needed))
                    if any(k[0] == MEMBER for k in changed) and NAME not in plan.state_map:
                        plan.state_map = await self.storage.events.current_state(room_id)  # for the heroes
            chosen |= lazy
            plan.state = sorted((plan.state_map[k] for k in chosen if k in plan.state_map), key=lambda s: s.pos)


def _members_changed(plan: _Plan) -> bool:
    return plan.changed_keys is None or any(key[0] == MEMBER for key in plan.changed_keys)


def _needs_whole_state(room: RoomToSend) -> bool:
    return room.initial or room.sent is None or _state_expanded(room)


def _lazy_members(timeline: list[StoredEvent]) -> set[StateKey]:
    """The members a timeline needs to be shown: its senders and the targets of its membership events."""
    keys = {(MEMBER, s.event["sender"]) for s in timeline}
    keys |= {(MEMBER, s.event["state_key"]) for s in timeline if s.event["type"] == MEMBER}
    return keys


def _heroes(state: dict[StateKey, StoredEvent], user_id: str) -> list[dict[str, Any]]:
    """Up to MAX_HEROES other members, joined first then invited, as in /sync's m.heroes."""
    members = sorted(
        (
            s
            for key, s in state.items()
            if key[0] == MEMBER and key[1] != user_id and s.event["content"].get("membership") in ("join", "invite")
        ),
        key=lambda s: (s.event["content"].get("membership") != "join", s.event["state_key"]),
    )
    heroes = []
    for stored in members[:MAX_HEROES]:
        hero: dict[str, Any] = {"user_id": stored.event["state_key"]}
        content = stored.event["content"]
        if isinstance(content.get("displayname"), str):
            hero["displayname"] = content["displayname"]
        if isinstance(content.get("avatar_url"), str):
            hero["avatar_url"] = content["avatar_url"]
        heroes.append(hero)
    return heroes
