"""/sync: initial and incremental, long-polling (client-server API: syncing).

A sync token `s<N>` means "everything up to stream position N has been delivered". The response is
built for the window (since, upto] where `upto` is the committed stream position read at the start;
positions commit in order, so nothing below `upto` can still appear later.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from ...clock import Clock
from ...events.client_format import stripped_state_event
from ...events.filters import SyncFilter
from ...lru import Lru
from ...policy.invite_permission import INVITE_PERMISSION_CONFIG, blocks_invites
from ...storage import Storage
from ...storage.account import GLOBAL
from ...storage.stream import current_position
from ..accounts.requester import Requester
from ..ephemeral import presence_content
from ..notifier import Change, Notifier, room_key, room_scope, user_scope
from ..push.rules import push_rules_for_user
from ..rooms.recent_events import RecentEvents
from ..rooms.serialize import EventSerializer
from ..rooms.visibility import VisibilityService
from .pacing import SyncPacer
from .request import MembershipCache, SyncRequest, make_token, parse_token
from .rooms import JoinedRooms

__all__ = ["SyncExtension", "SyncRequest", "SyncResult", "SyncService", "make_token", "parse_token"]

# How long a woken /sync waits for writes already in flight before building its response.
WAKE_COALESCE_S = 0.02
_MAX_FILTERS_REMEMBERED = 2_000
INVITE_STATE_TYPES = (
    "m.room.create",
    "m.room.join_rules",
    "m.room.name",
    "m.room.avatar",
    "m.room.canonical_alias",
    "m.room.encryption",
    "m.room.topic",
)


@dataclass
class SyncResult:
    body: dict[str, Any]
    empty: bool = True


# An extension adds sections (to_device, device_lists, ...) and says whether it added anything.
SyncExtension = Callable[[SyncRequest, dict[str, Any]], Awaitable[bool]]


@dataclass
class _Rooms:
    join: dict[str, Any] = field(default_factory=dict)
    invite: dict[str, Any] = field(default_factory=dict)
    leave: dict[str, Any] = field(default_factory=dict)
    knock: dict[str, Any] = field(default_factory=dict)


class SyncService:
    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        notifier: Notifier,
        serializer: EventSerializer,
        visibility: VisibilityService,
        recent_events: RecentEvents | None = None,
    ) -> None:
        self.storage = storage
        self.clock = clock
        self.notifier = notifier
        self.serializer = serializer
        self.visibility = visibility
        self.joined_rooms = JoinedRooms(storage, clock, serializer, visibility, recent_events)
        self.extensions: list[SyncExtension] = []
        self.membership_cache = MembershipCache(notifier)
        # Parsed filters by (user, `filter` parameter): an inline definition is its own key, and a stored
        # filter never changes once created. Clients send the same filter on every /sync.
        self.filters: Lru[tuple[str, str], SyncFilter] = Lru(_MAX_FILTERS_REMEMBERED)
        self.pacer = SyncPacer()

    async def _window(self, since: int | None) -> tuple[int | None, int]:
        """(since, upto) for the next response: everything up to `upto` is committed.

        An incremental sync from a token this process tracks changes for stops at what has been announced
        here (`complete_upto`), so that its parts may skip the database where nothing changed; any other
        sync reads the committed position from the database.
        """
        notifier = self.notifier
        if since is None or not notifier.tracks_from(since):
            upto = await current_position(self.storage.db)
            return (upto if since is not None and since > upto else since), upto
        upto = notifier.complete_upto
        if since > upto:
            if since <= await current_position(self.storage.db):
                upto = since  # another process's token, its positions not yet announced here: wait for them
            else:
                since = upto  # a token from the future (e.g. a restored database): resync from now
        return since, upto

    def _request(
        self, requester: Requester, since: int | None, upto: int, full_state: bool, sync_filter: SyncFilter
    ) -> SyncRequest:
        return SyncRequest(requester, since, upto, full_state, sync_filter, self.notifier, self.membership_cache)

    async def sync(
        self,
        requester: Requester,
        since: int | None,
        timeout_ms: int,
        full_state: bool,
        sync_filter: SyncFilter,
    ) -> dict[str, Any]:
        deadline = time.monotonic() + max(0, min(timeout_ms, 300_000)) / 1000
        device = (requester.user_id, requester.device_id)
        if since is not None and timeout_ms > 0 and not full_state:
            await self.pacer.pace(device)
        while True:
            since, upto = await self._window(since)
            request = self._request(requester, since, upto, full_state, sync_filter)
            started = time.perf_counter()
            result = await self._build(request)
            remaining = deadline - time.monotonic()
            if since is None or full_state or not result.empty or remaining <= 0:
                if since is not None and not result.empty:
                    self.pacer.answered(device, time.perf_counter() - started)
                return result.body
            joined = await request.joined_rooms(self.storage.rooms)
            scopes = [user_scope(requester.user_id)] + [room_scope(r) for r in joined]
            if not await self.notifier.wait(scopes, upto, remaining):
                # Timed out: answer with a fresh token so the client does not re-scan the same window.
                since, upto = await self._window(since)
                final = await self._build(self._request(requester, since, upto, full_state, sync_filter))
                return final.body
            # Woken by a change: give the writes already in flight a moment to land in the same response.
            # Under load this turns one /sync per message into one per burst, for a few ms of latency.
            await asyncio.sleep(WAKE_COALESCE_S)

    async def _build(self, request: SyncRequest) -> SyncResult:
        rooms = await self._rooms(request)
        body: dict[str, Any] = {"next_batch": make_token(request.upto)}
        sections = (("join", rooms.join), ("invite", rooms.invite), ("leave", rooms.leave), ("knock", rooms.knock))
        room_section = {k: v for k, v in sections if v}
        empty = not room_section
        if room_section:
            body["rooms"] = room_section
        account_data = await self.global_account_data(request)
        if account_data:
            body["account_data"] = {"events": account_data}
            empty = False
        presence = await self._presence(request)
        if presence:
            body["presence"] = {"events": presence}
            empty = False
        for extension in self.extensions:
            if await extension(request, body):
                empty = False
        return SyncResult(body, empty)

    # -- rooms --------------------------------------------------------------------------------------

    async def _rooms(self, request: SyncRequest) -> _Rooms:
        user_id = request.requester.user_id
        since = request.since
        room_filter = request.filter.room
        memberships = await request.memberships(self.storage.rooms)
        hidden = await self.visibility.rooms_hidden_from(request.requester, list(memberships))
        if hidden:  # rooms this device may not read at all (e.g. classified, on an unaccredited device)
            memberships = {r: m for r, m in memberships.items() if r not in hidden}
        forgotten: set[str] | None = None
        joined = [r for r, (m, _, _) in memberships.items() if m == "join" and room_filter.allows_room(r)]
        changed = set(joined)
        if since is not None and not request.full_state:
            changed = await self._rooms_changed(request, joined)
        rooms = _Rooms()
        to_build: list[tuple[str, bool]] = []
        invites_blocked: bool | None = None  # read once, and only when there is an invite to show
        for room_id, (membership, member_pos, _event_id) in memberships.items():
            if not room_filter.allows_room(room_id):
                continue
            newly = since is None or member_pos > since
            if membership == "join":
                if newly or room_id in changed:
                    to_build.append((room_id, newly))
            elif membership == "invite" and newly:
                if invites_blocked is None:
                    config = await self.storage.account.get_account_data(user_id, GLOBAL, INVITE_PERMISSION_CONFIG)
                    invites_blocked = blocks_invites(config)
                if not invites_blocked:  # invite permission: a blocking user is not shown invites
                    rooms.invite[room_id] = await self._invited_room(room_id, user_id)
            elif membership in ("leave", "ban"):
                if (since is not None and member_pos > since) or (since is None and room_filter.include_leave):
                    if forgotten is None:
                        forgotten = await self.storage.rooms.forgotten_rooms(user_id)
                    if room_id not in forgotten:
                        rooms.leave[room_id] = await self._left_room(request, room_id, member_pos)
            elif membership == "knock" and newly:
                rooms.knock[room_id] = {"knock_state": {"events": await self.stripped_state(room_id, user_id)}}
        rooms.join = await self.joined_rooms.build(request, to_build)
        return rooms

    async def _rooms_changed(self, request: SyncRequest, joined: list[str]) -> set[str]:
        assert request.since is not None
        joined_set = set(joined)
        ephemeral = self.storage.ephemeral
        changed = request.rooms_changed(joined, Change.EVENT)
        if changed is None:
            changed = await self.storage.events.rooms_with_events_between(request.since, request.upto, joined_set)
        changed |= await request.typing_changed_rooms(ephemeral, joined)
        receipts = request.rooms_changed(joined, Change.RECEIPT)
        if receipts is None or not request.own_unchanged(Change.RECEIPT):
            receipts = {r.room_id for r in await ephemeral.receipts_since(joined, request.since, request.upto)}
        changed |= receipts
        room_data = await request.account_data_since(self.storage.account, request.since)
        changed |= {r for r in room_data if r != GLOBAL} & joined_set
        return changed

    async def _invited_room(self, room_id: str, user_id: str) -> dict[str, Any]:
        return {"invite_state": {"events": await self.stripped_state(room_id, user_id)}}

    async def stripped_state(self, room_id: str, user_id: str) -> list[dict[str, Any]]:
        """What an invitee or knocker sees of a room: stripped state, their own membership and its sender's."""
        state = await self.storage.events.current_state(room_id)
        stripped = [stripped_state_event(s.event) for key, s in state.items() if key[0] in INVITE_STATE_TYPES]
        own = state.get(("m.room.member", user_id))
        if own is not None:
            member = stripped_state_event(own.event)
            member["event_id"] = own.event["event_id"]
            member["origin_server_ts"] = own.event["origin_server_ts"]
            stripped.append(member)
        sender = own.event["sender"] if own else None
        if sender is not None and sender != user_id and ("m.room.member", sender) in state:
            stripped.append(stripped_state_event(state[("m.room.member", sender)].event))
        return stripped

    async def _left_room(self, request: SyncRequest, room_id: str, leave_pos: int) -> dict[str, Any]:
        since = request.since or 0
        history = self.joined_rooms.history
        timeline, limited = await history.timeline(request, room_id, since, leave_pos, request.filter.room.timeline)
        timeline_start = timeline[0].pos if timeline else leave_pos + 1
        state = (
            await history.state_section(
                request, room_id, timeline, timeline_start - 1, request.since if limited else None
            )
            if (limited or request.since is None)
            else []
        )
        requester = request.requester
        return {
            "timeline": {
                "events": await self.serializer.serialize(timeline, requester, include_room_id=False),
                "limited": limited,
                "prev_batch": make_token(timeline[0].pos - 1) if timeline else make_token(leave_pos),
            },
            "state": {"events": await self.serializer.serialize(state, requester, include_room_id=False)},
            "account_data": {"events": []},
        }

    async def global_account_data(self, request: SyncRequest) -> list[dict[str, Any]]:
        data = await request.account_data_since(self.storage.account, request.since or 0)
        events = [{"type": t, "content": c} for t, c in data.get(GLOBAL, {}).items()]
        if request.since is None and not any(e["type"] == "m.push_rules" for e in events):
            events.append(
                {
                    "type": "m.push_rules",
                    "content": await push_rules_for_user(self.storage, request.requester.user_id),
                }
            )
        return [e for e in events if request.filter.account_data.matches(e)]

    async def _presence(self, request: SyncRequest) -> list[dict[str, Any]]:
        if request.filter.presence.blocks_everything:
            return []
        user_id = request.requester.user_id
        if request.since is not None:
            # Presence of whoever shares a room with us, or anyone who joined one of our rooms since.
            joined = await request.joined_rooms(self.storage.rooms)
            keys = [room_key(r, c) for r in joined for c in (Change.PRESENCE, Change.MEMBERSHIP)]
            if request.own_unchanged(Change.PRESENCE, Change.MEMBERSHIP) and request.unchanged(keys):
                return []
        users = sorted(await request.users_sharing_rooms(self.storage.rooms) | {user_id})
        now = self.clock.now_ms()
        events = [
            {
                "type": "m.presence",
                "sender": p.user_id,
                "content": presence_content(p.state, p.status_msg, p.last_active_ts, now),
            }
            for p in await self.storage.ephemeral.presence_since(users, request.since or 0, request.upto)
        ]
        return [e for e in events if request.filter.presence.matches(e)]
