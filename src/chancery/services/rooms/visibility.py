"""History visibility: which events a user may see (client-server API: history visibility).

The room graph is linear, so "the state at an event" is the latest state event before it in stream
order. Per room, the history_visibility changes and the user's own membership changes are loaded once
and every event is judged against them.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Protocol

from ...errors import forbidden
from ...storage import Storage
from ...storage.events import StoredEvent
from ..accounts.requester import Requester


class DeviceGate(Protocol):
    """Which rooms a device may read at all (e.g. classified rooms need an accredited device)."""

    async def hidden_rooms(self, requester: Requester, room_ids: list[str]) -> frozenset[str]: ...

    async def check_room(self, requester: Requester, room_id: str) -> None: ...


@dataclass(frozen=True)
class _Timeline:
    positions: list[int]
    values: list[str]

    def before(self, pos: int, default: str) -> str:
        index = bisect.bisect_left(self.positions, pos)
        return self.values[index - 1] if index else default

    def at_or_after(self, pos: int, default: str) -> str:
        index = bisect.bisect_right(self.positions, pos)
        return self.values[index - 1] if index else default


class VisibilityService:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        # Set when the institution restricts rooms to some devices; None: every device reads every room.
        self.device_gate: DeviceGate | None = None

    async def rooms_hidden_from(self, requester: Requester, room_ids: list[str]) -> frozenset[str]:
        """Of `room_ids`, those the requester's device may not read at all (every read path leaves them out)."""
        if self.device_gate is None or not room_ids:
            return frozenset()
        return await self.device_gate.hidden_rooms(requester, room_ids)

    async def check_device_may_read(self, requester: Requester, room_id: str) -> None:
        """Raise the gate's Matrix error when the requester's device may not read the room."""
        if self.device_gate is not None:
            await self.device_gate.check_room(requester, room_id)

    async def filter_visible(self, user_id: str, room_id: str, events: list[StoredEvent]) -> list[StoredEvent]:
        if not events:
            return events
        visibility_changes = await self.storage.events.history_visibility_changes(room_id)
        member_changes = await self.storage.rooms.membership_history(room_id, user_id)
        return _visible_events(user_id, events, visibility_changes, member_changes)

    async def filter_visible_in_rooms(
        self, user_id: str, events_by_room: dict[str, list[StoredEvent]]
    ) -> dict[str, list[StoredEvent]]:
        """filter_visible for many rooms with two queries in all."""
        rooms = [room_id for room_id, events in events_by_room.items() if events]
        visibility_changes = await self.storage.events.history_visibility_changes_in_rooms(rooms)
        member_changes = await self.storage.rooms.membership_histories(user_id) if rooms else {}
        return {
            room_id: _visible_events(user_id, events, visibility_changes[room_id], member_changes.get(room_id, []))
            if events
            else events
            for room_id, events in events_by_room.items()
        }

    async def check_can_see(self, user_id: str, stored: StoredEvent) -> None:
        visible = await self.filter_visible(user_id, stored.event["room_id"], [stored])
        if not visible:
            raise forbidden("You are not allowed to see this event")

    async def can_see_room_state(self, user_id: str, room_id: str) -> tuple[bool, int | None]:
        """(allowed, upto): members see current state; former members see state up to their leave."""
        membership = await self.storage.rooms.membership(room_id, user_id)
        if membership == "join":
            return True, None
        current_visibility = await self.storage.events.current_state_event(room_id, "m.room.history_visibility", "")
        if current_visibility and current_visibility.event["content"].get("history_visibility") == "world_readable":
            return True, None
        if membership in ("leave", "ban"):
            history = await self.storage.rooms.membership_history(room_id, user_id)
            if any(membership == "join" for _, membership in history):
                return True, history[-1][0]
        return False, None


def _visible_events(
    user_id: str,
    events: list[StoredEvent],
    visibility_changes: list[tuple[int, str]],
    member_changes: list[tuple[int, str]],
) -> list[StoredEvent]:
    if _sees_everything(visibility_changes, member_changes):
        return events
    visibility = _Timeline([p for p, _ in visibility_changes], [v for _, v in visibility_changes])
    membership = _Timeline([p for p, _ in member_changes], [m for _, m in member_changes])
    join_positions = [p for p, m in member_changes if m == "join"]
    last_join = join_positions[-1] if join_positions else -1
    return [stored for stored in events if _may_see(stored, user_id, visibility, membership, last_join)]


def _sees_everything(visibility_changes: list[tuple[int, str]], member_changes: list[tuple[int, str]]) -> bool:
    """A current member of a room whose history was always shared (the default) sees every event:
    those before their last join through "shared", the rest as a member."""
    currently_joined = bool(member_changes) and member_changes[-1][1] == "join"
    return currently_joined and all(v in ("shared", "world_readable") for _, v in visibility_changes)


def _may_see(stored: StoredEvent, user_id: str, visibility: _Timeline, membership: _Timeline, last_join: int) -> bool:
    pos = stored.pos
    event = stored.event
    own_membership = event["type"] == "m.room.member" and event.get("state_key") == user_id
    is_visibility_event = event["type"] == "m.room.history_visibility"
    options = [(visibility.before(pos, "shared"), membership.before(pos, "leave"))]
    if own_membership or is_visibility_event:
        options.append((visibility.at_or_after(pos, "shared"), membership.at_or_after(pos, "leave")))
    for history, member in options:
        if history == "world_readable" or member == "join":
            return True
        if history == "shared" and last_join > pos:
            return True
        if history == "invited" and member == "invite":
            return True
    return False
