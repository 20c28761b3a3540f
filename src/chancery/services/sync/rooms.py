"""The joined rooms of a /sync response, built for all the synced rooms at once.

Each lookup (timelines, visibility, state, typing, receipts, account data, unread counts, summaries,
serialisation) is one query for all rooms, so an initial /sync of a user in hundreds of rooms costs a
fixed number of database round trips. A room whose timeline filter needs more than the first batch of
events, or whose state cannot be derived from its current state, falls back to the per-room path
(RoomHistory), which is also what left rooms use.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ...clock import Clock
from ...events.filters import DEFAULT_TIMELINE_LIMIT, EventFilter
from ...storage import Storage
from ...storage.events import StateKey, StoredEvent
from ..ephemeral import receipt_contents
from ..notifier import Change, room_key, user_key
from ..push.unread import UnreadCounter
from ..rooms.recent_events import RecentEvents
from ..rooms.serialize import EventSerializer
from ..rooms.visibility import VisibilityService
from .request import SyncRequest, make_token

TIMELINE_SCAN_BATCHES = 20


def timeline_limit(timeline_filter: EventFilter) -> int:
    return DEFAULT_TIMELINE_LIMIT if timeline_filter.limit is None else timeline_filter.limit


def choose_state(
    request: SyncRequest,
    state: dict[StateKey, StoredEvent],
    timeline: list[StoredEvent],
    changed_keys: set[StateKey] | None,
) -> list[StoredEvent]:
    """The state section from the state before the timeline: all of it, or the `changed_keys`."""
    state_filter = request.filter.room.state
    if changed_keys is not None:
        chosen = [s for key, s in state.items() if key in changed_keys]
    else:
        chosen = list(state.values())
    if state_filter.lazy_load_members and not request.full_state:
        wanted = {s.event["sender"] for s in timeline} | {request.requester.user_id}
        chosen = [s for s in chosen if s.event["type"] != "m.room.member" or s.event["state_key"] in wanted]
        if changed_keys is not None:
            present = {s.event["state_key"] for s in chosen if s.event["type"] == "m.room.member"}
            for sender in wanted - present:
                member = state.get(("m.room.member", sender))
                if member is not None:
                    chosen.append(member)
    chosen = [s for s in chosen if state_filter.matches(s.event)]
    return sorted(chosen, key=lambda s: s.pos)


def rewind_state(
    current: dict[StateKey, StoredEvent],
    newest_first: list[StoredEvent],
    before: int,
    replaced: dict[str, StoredEvent],
) -> dict[StateKey, StoredEvent] | None:
    """The state after position `before`, from the current state and the events after it (newest first).

    Each stored state event names the event it replaced (unsigned.replaces_state); None when that link is
    missing (a redaction drops `unsigned`) so the caller asks the database instead.
    """
    state = dict(current)
    for stored in newest_first:
        event = stored.event
        if stored.pos <= before or "state_key" not in event:
            continue
        key = (event["type"], event["state_key"])
        replaced_id = event.get("unsigned", {}).get("replaces_state")
        if replaced_id is None:
            if stored.redacted:
                return None
            state.pop(key, None)
        elif replaced_id in replaced:
            state[key] = replaced[replaced_id]
        else:
            return None
    return state


def room_summary(counts: dict[str, int], state: dict[StateKey, StoredEvent], user_id: str) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "m.joined_member_count": counts.get("join", 0),
        "m.invited_member_count": counts.get("invite", 0),
    }
    if ("m.room.name", "") not in state and ("m.room.canonical_alias", "") not in state:
        members = sorted(
            key[1]
            for key, s in state.items()
            if key[0] == "m.room.member"
            and key[1] != user_id
            and s.event["content"].get("membership") in ("join", "invite")
        )
        summary["m.heroes"] = members[:5]
    return summary


def _may_have_relations(request: SyncRequest, plans: list[_Room]) -> set[str] | None:
    """The events of the response that something may relate to (edits, threads to bundle): those with a
    relation in their room since they were sent, as far as this process knows; None when it cannot tell."""
    changes = request.changes
    if changes is None or request.upto > changes.complete_upto:
        return None
    wanted: set[str] = set()
    for plan in plans:
        latest_relation = changes.latest(room_key(plan.room_id, Change.RELATION))
        wanted.update(
            s.event_id
            for s in (*plan.timeline, *plan.state)
            if s.pos < latest_relation or not changes.tracks_from(s.pos)
        )
    return wanted


async def _joined_during(request: SyncRequest, storage: Storage) -> dict[str, tuple[int, int]]:
    """room -> (position of the requester's join, end of the response's window), for the rooms they are joined
    to at that end: they may see everything of those rooms in between (memberships are loaded already)."""
    memberships = await request.memberships(storage.rooms)
    upto = request.upto
    return {room_id: (pos, upto) for room_id, (membership, pos, _) in memberships.items() if membership == "join"}


def _joined_before(membership: tuple[str, int, str] | None, since: int | None) -> bool:
    """Joined at `since` and still (membership is the latest as of the response's end)."""
    return since is not None and membership is not None and membership[0] == "join" and membership[1] <= since


class RoomHistory:
    """Per-room timelines and state sections: the fallback of the batched path, and left rooms."""

    def __init__(self, storage: Storage, visibility: VisibilityService) -> None:
        self.storage = storage
        self.visibility = visibility

    async def timeline(
        self, request: SyncRequest, room_id: str, after: int, upto: int, timeline_filter: EventFilter
    ) -> tuple[list[StoredEvent], bool]:
        limit = timeline_limit(timeline_filter)
        # The limit counts events the client will get: filter before cutting, scanning back in batches
        # (bounded, so a filter matching nothing cannot walk a huge room's whole history).
        # The first batch is exactly what an unfiltered timeline needs; later ones are larger.
        batch_size = limit + 1
        found: list[StoredEvent] = []
        cursor = upto
        more_unscanned = False
        for _ in range(TIMELINE_SCAN_BATCHES):
            batch = await self.storage.events.room_events(
                room_id, after=after, upto=cursor, limit=batch_size, newest_first=True
            )
            visible = await self.visibility.filter_visible(request.requester.user_id, room_id, batch)
            found += [s for s in visible if timeline_filter.matches(s.event)]
            more_unscanned = len(batch) == batch_size
            if not more_unscanned or len(found) > limit:
                break
            cursor = batch[-1].pos - 1
            batch_size = max(2 * (limit + 1), 50)
        limited = len(found) > limit or more_unscanned
        return list(reversed(found[:limit])), limited

    async def state_section(
        self,
        request: SyncRequest,
        room_id: str,
        timeline: list[StoredEvent],
        state_before: int,
        incremental_since: int | None,
    ) -> list[StoredEvent]:
        """State up to the start of the timeline: everything, or what changed since the last sync."""
        state = await self.storage.events.state_at(room_id, state_before)
        changed_keys = None
        if incremental_since is not None:
            changed_keys = set(
                await self.storage.events.state_changed_between(room_id, incremental_since, state_before)
            )
        return choose_state(request, state, timeline, changed_keys)

    async def lazy_members_for(
        self, room_id: str, timeline: list[StoredEvent], state: list[StoredEvent]
    ) -> list[StoredEvent]:
        """Incremental, unlimited sync with lazy loading: the members of this batch's senders."""
        in_timeline = {s.event["state_key"] for s in timeline if s.event["type"] == "m.room.member"}
        senders = {s.event["sender"] for s in timeline} - in_timeline
        if not senders or not timeline:
            return state
        before = timeline[0].pos - 1
        extra = []
        for sender in sorted(senders):
            member = await self.storage.events.state_event_at(room_id, "m.room.member", sender, before)
            if member is not None:
                extra.append(member)
        return state + extra


@dataclass
class _Room:
    """One joined room on its way into the response."""

    room_id: str
    since: int | None  # None: the whole room (initial sync, newly joined, full_state)
    batch: list[StoredEvent] = field(default_factory=list)  # the first batch of events, newest first
    timeline: list[StoredEvent] = field(default_factory=list)
    limited: bool = False
    from_batch: bool = True  # the timeline lies within `batch`
    state: list[StoredEvent] = field(default_factory=list)


class JoinedRooms:
    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        serializer: EventSerializer,
        visibility: VisibilityService,
        recent_events: RecentEvents | None = None,
    ) -> None:
        self.storage = storage
        self.clock = clock
        self.serializer = serializer
        self.visibility = visibility
        self.recent_events = recent_events
        self.history = RoomHistory(storage, visibility)
        self.unread = UnreadCounter(storage, recent_events)

    async def build(self, request: SyncRequest, rooms: list[tuple[str, bool]]) -> dict[str, dict[str, Any]]:
        """room ID -> its `rooms.join` entry, for (room ID, newly joined) pairs."""
        if not rooms:
            return {}
        plans = [_Room(room_id, None if newly or request.full_state else request.since) for room_id, newly in rooms]
        await self._timelines(request, plans)
        current = await self._state_sections(request, plans)
        await self._lazy_members(request, plans)
        room_ids = [p.room_id for p in plans]
        ephemeral = await self._ephemeral(request, plans)
        account_data = await self._room_account_data(request, plans)
        user_id = request.requester.user_id

        def read_unchanged(room_id: str, after: int) -> bool:
            return request.unchanged([room_key(room_id, Change.RECEIPT), user_key(user_id, Change.RECEIPT)], after)

        unread = await self.unread.counts(room_ids, user_id, request.upto, read_unchanged)
        summaries = await self._summaries(request, plans, current)
        groups = [group for p in plans for group in (p.timeline, p.state)]
        serialized = await self.serializer.serialize_groups_json(
            groups,
            request.requester,
            include_room_id=False,
            relations_for=_may_have_relations(request, plans),
            joined_during=await _joined_during(request, self.storage),
        )
        entries: dict[str, dict[str, Any]] = {}
        for index, plan in enumerate(plans):
            notifications, highlights = unread.get(plan.room_id, (0, 0))
            entry: dict[str, Any] = {
                "timeline": {
                    "events": serialized[2 * index],
                    "limited": plan.limited,
                    "prev_batch": make_token(plan.timeline[0].pos - 1 if plan.timeline else request.upto),
                },
                "state": {"events": serialized[2 * index + 1]},
                "ephemeral": {"events": ephemeral[plan.room_id]},
                "account_data": {"events": account_data[plan.room_id]},
                "unread_notifications": {"notification_count": notifications, "highlight_count": highlights},
            }
            if plan.room_id in summaries:
                entry["summary"] = summaries[plan.room_id]
            entries[plan.room_id] = entry
        return entries

    # -- timelines ----------------------------------------------------------------------------------

    async def _timelines(self, request: SyncRequest, plans: list[_Room]) -> None:
        timeline_filter = request.filter.room.timeline
        limit = timeline_limit(timeline_filter)
        matches_all = replace(timeline_filter, limit=None) == EventFilter()
        by_after: dict[int, list[_Room]] = {}
        for plan in plans:
            by_after.setdefault(plan.since or 0, []).append(plan)
        batches: dict[str, list[StoredEvent]] = {}
        for after, group in by_after.items():
            from_db = []
            for plan in group:
                held = (
                    self.recent_events.window(plan.room_id, after, request.upto, limit + 1)
                    if self.recent_events
                    else None
                )
                if held is None:
                    from_db.append(plan.room_id)
                else:
                    batches[plan.room_id] = [cached.stored for cached in held]
            if from_db:
                batches |= await self.storage.events.recent_events_in_rooms(
                    from_db, after=after, upto=request.upto, count=limit + 1
                )
        # A member joined since before the window sees every event in it: no visibility lookups for those.
        memberships = await request.memberships(self.storage.rooms)
        member_throughout = {p.room_id for p in plans if _joined_before(memberships.get(p.room_id), p.since)}
        visible = {room_id: batches[room_id] for room_id in member_throughout}
        visible |= await self.visibility.filter_visible_in_rooms(
            request.requester.user_id, {r: b for r, b in batches.items() if r not in member_throughout}
        )
        for plan in plans:
            plan.batch = batches[plan.room_id]
            found = [s for s in visible[plan.room_id] if matches_all or timeline_filter.matches(s.event)]
            complete = len(plan.batch) < limit + 1
            if complete or len(found) > limit:
                plan.timeline, plan.limited = list(reversed(found[:limit])), not complete
            else:
                # The filter dropped too much of the first batch: scan further back, room by room.
                plan.from_batch = False
                plan.timeline, plan.limited = await self.history.timeline(
                    request, plan.room_id, plan.since or 0, request.upto, timeline_filter
                )
            if plan.since is not None and request.since is not None and not plan.timeline:
                plan.limited = False

    # -- state --------------------------------------------------------------------------------------

    async def _state_sections(self, request: SyncRequest, plans: list[_Room]) -> dict[str, dict[StateKey, StoredEvent]]:
        """Fill each room's state section; return the current state of the rooms it loaded."""
        full = [p for p in plans if p.since is None]
        current = await self._current_states(full)
        before = await self._states_before_timeline(request, full, current)
        for plan in plans:
            timeline_start = plan.timeline[0].pos if plan.timeline else request.upto + 1
            if plan.since is None:
                state = before.get(plan.room_id)
                if state is None:
                    state = await self.storage.events.state_at(plan.room_id, timeline_start - 1)
                plan.state = choose_state(request, state, plan.timeline, None)
            elif plan.limited:
                plan.state = await self.history.state_section(
                    request, plan.room_id, plan.timeline, timeline_start - 1, plan.since
                )
        return current

    async def _current_states(self, plans: list[_Room]) -> dict[str, dict[StateKey, StoredEvent]]:
        """The rooms' current state, reusing the events their timeline batches already loaded."""
        if not plans:
            return {}
        ids = await self.storage.events.current_state_ids_of_rooms([p.room_id for p in plans])
        events = await self._events_by_id(plans, {event_id for state in ids.values() for event_id, _ in state.values()})
        return {
            room_id: {key: events[event_id] for key, (event_id, _) in state.items() if event_id in events}
            for room_id, state in ids.items()
        }

    async def _events_by_id(self, plans: list[_Room], event_ids: set[str]) -> dict[str, StoredEvent]:
        known = {s.event["event_id"]: s for p in plans for s in p.batch}
        found = {event_id: known[event_id] for event_id in event_ids if event_id in known}
        missing = event_ids - found.keys()
        return found | (await self.storage.events.get_events(missing) if missing else {})

    async def _states_before_timeline(
        self, request: SyncRequest, plans: list[_Room], current: dict[str, dict[StateKey, StoredEvent]]
    ) -> dict[str, dict[StateKey, StoredEvent]]:
        """The state before each room's timeline, derived from its current state where that is possible."""
        usable = [p for p in plans if p.from_batch and all(s.pos <= request.upto for s in current[p.room_id].values())]
        replaced_ids = {
            s.event["unsigned"]["replaces_state"]
            for p in usable
            for s in p.batch
            if "state_key" in s.event and "replaces_state" in s.event.get("unsigned", {})
        }
        replaced = await self._events_by_id(usable, replaced_ids)
        found: dict[str, dict[StateKey, StoredEvent]] = {}
        for plan in usable:
            before = (plan.timeline[0].pos if plan.timeline else request.upto + 1) - 1
            state = rewind_state(current[plan.room_id], plan.batch, before, replaced)
            if state is not None:
                found[plan.room_id] = state
        return found

    async def _lazy_members(self, request: SyncRequest, plans: list[_Room]) -> None:
        if not request.filter.room.state.lazy_load_members:
            return
        for plan in plans:
            if plan.since is not None and not plan.limited:
                plan.state = await self.history.lazy_members_for(plan.room_id, plan.timeline, plan.state)

    # -- everything else ----------------------------------------------------------------------------

    async def _ephemeral(self, request: SyncRequest, plans: list[_Room]) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {p.room_id: [] for p in plans}
        incremental = [p.room_id for p in plans if p.since is not None]
        typing_changed = {p.room_id for p in plans if p.since is None}
        if incremental:
            typing_changed |= await request.typing_changed_rooms(self.storage.ephemeral, incremental)
        typing = (
            await self.storage.ephemeral.typing_users_in_rooms(sorted(typing_changed), self.clock.now_ms())
            if typing_changed
            else {}
        )
        for plan in plans:
            users = typing.get(plan.room_id, [])
            if plan.room_id in typing_changed and (users or plan.since is not None):
                out[plan.room_id].append({"type": "m.typing", "content": {"user_ids": users}})
        receipts = await self._receipts(request, plans)
        room_filter = request.filter.room.ephemeral
        for room_id, content in receipts.items():
            out[room_id].append({"type": "m.receipt", "content": content})
        return {room_id: [e for e in events if room_filter.matches(e)] for room_id, events in out.items()}

    async def _receipts(self, request: SyncRequest, plans: list[_Room]) -> dict[str, dict[str, Any]]:
        """room -> m.receipt content, for receipts in each room's window."""
        by_after: dict[int, list[str]] = {}
        for plan in plans:
            by_after.setdefault(plan.since or 0, []).append(plan.room_id)
        found: dict[str, dict[str, Any]] = {}
        for after, room_ids in by_after.items():
            if after == request.since and request.own_unchanged(Change.RECEIPT):
                known = request.rooms_changed(room_ids, Change.RECEIPT)
                if known is not None:
                    room_ids = [r for r in room_ids if r in known]
            if not room_ids:
                continue
            receipts = await self.storage.ephemeral.receipts_since(room_ids, after, request.upto)
            found |= receipt_contents(receipts, request.requester.user_id)
        return found

    async def _room_account_data(self, request: SyncRequest, plans: list[_Room]) -> dict[str, list[dict[str, Any]]]:
        data_filter = request.filter.room.account_data
        out: dict[str, list[dict[str, Any]]] = {}
        for plan in plans:
            loaded = await request.account_data_since(self.storage.account, plan.since or 0)
            events = [{"type": t, "content": c} for t, c in loaded.get(plan.room_id, {}).items()]
            out[plan.room_id] = [e for e in events if data_filter.matches(e)]
        return out

    async def _summaries(
        self, request: SyncRequest, plans: list[_Room], current: dict[str, dict[StateKey, StoredEvent]]
    ) -> dict[str, dict[str, Any]]:
        wanted = [
            p.room_id
            for p in plans
            if p.since is None or any(s.event["type"] == "m.room.member" for s in p.timeline + p.state)
        ]
        if not wanted:
            return {}
        missing = [room_id for room_id in wanted if room_id not in current]
        if missing:
            current = current | await self.storage.events.current_state_of_rooms(missing)
        counts = await self.storage.rooms.member_counts_of_rooms(wanted)
        user_id = request.requester.user_id
        return {room_id: room_summary(counts[room_id], current[room_id], user_id) for room_id in wanted}
