"""/sync: initial and incremental, long-polling (client-server API: syncing).

A sync token `s<N>` means "everything up to stream position N has been delivered". The response is
built for the window (since, upto] where `upto` is the committed stream position read at the start;
positions commit in order, so nothing below `upto` can still appear later.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from ..clock import Clock
from ..errors import invalid_param
from ..events.client_format import stripped_state_event
from ..events.filters import DEFAULT_TIMELINE_LIMIT, EventFilter, SyncFilter
from ..storage import Storage
from ..storage.account import GLOBAL
from ..storage.events import StoredEvent
from ..storage.stream import current_position
from .ephemeral import presence_content
from .notifier import Notifier, room_key, user_key
from .push_rules import push_rules_for_user
from .requester import Requester
from .serialize import EventSerializer
from .visibility import VisibilityService

NOTIFYING_TYPES = ("m.room.message", "m.room.encrypted", "m.sticker", "m.call.invite", "m.poll.start")
TIMELINE_SCAN_BATCHES = 20
INVITE_STATE_TYPES = (
    "m.room.create",
    "m.room.join_rules",
    "m.room.name",
    "m.room.avatar",
    "m.room.canonical_alias",
    "m.room.encryption",
    "m.room.topic",
)


def parse_token(token: str | None) -> int | None:
    if token is None:
        return None
    if not token.startswith("s") or not token[1:].isdigit() or len(token) > 20:
        raise invalid_param("Invalid sync token")
    return int(token[1:])


def make_token(pos: int) -> str:
    return f"s{pos}"


@dataclass
class SyncRequest:
    requester: Requester
    since: int | None
    upto: int
    full_state: bool
    filter: SyncFilter


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


class SyncService:
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
        self.extensions: list[SyncExtension] = []

    async def sync(
        self,
        requester: Requester,
        since: int | None,
        timeout_ms: int,
        full_state: bool,
        sync_filter: SyncFilter,
    ) -> dict[str, Any]:
        deadline = time.monotonic() + max(0, min(timeout_ms, 300_000)) / 1000
        while True:
            upto = await current_position(self.storage.db)
            if since is not None and since > upto:
                since = upto  # a token from the future (e.g. a restored database): resync from now
            request = SyncRequest(requester, since, upto, full_state, sync_filter)
            result = await self._build(request)
            remaining = deadline - time.monotonic()
            if since is None or full_state or not result.empty or remaining <= 0:
                return result.body
            keys = [user_key(requester.user_id)] + [
                room_key(r) for r in await self.storage.rooms.rooms_for_user(requester.user_id)
            ]
            if not await self.notifier.wait(keys, upto, remaining):
                # Timed out: answer with a fresh token so the client does not re-scan the same window.
                final = await self._build(
                    SyncRequest(requester, since, await current_position(self.storage.db), full_state, sync_filter)
                )
                return final.body

    async def _build(self, request: SyncRequest) -> SyncResult:
        rooms = await self._rooms(request)
        body: dict[str, Any] = {"next_batch": make_token(request.upto)}
        empty = not (rooms.join or rooms.invite or rooms.leave)
        room_section = {k: v for k, v in (("join", rooms.join), ("invite", rooms.invite), ("leave", rooms.leave)) if v}
        if room_section:
            body["rooms"] = room_section
        account_data = await self._global_account_data(request)
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
        memberships = await self.storage.rooms.memberships_at(user_id, request.upto)
        forgotten = await self.storage.rooms.forgotten_rooms(user_id)
        joined = [r for r, (m, _, _) in memberships.items() if m == "join" and room_filter.allows_room(r)]
        changed = set(joined)
        if since is not None and not request.full_state:
            changed = await self._rooms_changed(request, joined)
        rooms = _Rooms()
        for room_id, (membership, member_pos, _event_id) in memberships.items():
            if not room_filter.allows_room(room_id):
                continue
            newly = since is None or member_pos > since
            if membership == "join":
                if newly or room_id in changed:
                    entry = await self._joined_room(request, room_id, newly)
                    if entry is not None:
                        rooms.join[room_id] = entry
            elif membership == "invite" and newly:
                rooms.invite[room_id] = await self._invited_room(room_id, user_id)
            elif membership in ("leave", "ban") and room_id not in forgotten:
                if (since is not None and member_pos > since) or (since is None and room_filter.include_leave):
                    rooms.leave[room_id] = await self._left_room(request, room_id, member_pos)
            elif membership == "knock" and newly:
                continue
        return rooms

    async def _rooms_changed(self, request: SyncRequest, joined: list[str]) -> set[str]:
        assert request.since is not None
        joined_set = set(joined)
        changed = await self.storage.events.rooms_with_events_between(request.since, request.upto, joined_set)
        changed |= await self.storage.ephemeral.typing_changed_rooms(joined, request.since, request.upto)
        changed |= {r.room_id for r in await self.storage.ephemeral.receipts_since(joined, request.since, request.upto)}
        room_data = await self.storage.account.account_data_since(
            request.requester.user_id, request.since, request.upto
        )
        changed |= {r for r in room_data if r != GLOBAL} & joined_set
        return changed

    async def _timeline(
        self, request: SyncRequest, room_id: str, after: int, upto: int, timeline_filter: EventFilter
    ) -> tuple[list[StoredEvent], bool]:
        limit = DEFAULT_TIMELINE_LIMIT if timeline_filter.limit is None else timeline_filter.limit
        # The limit counts events the client will get: filter before cutting, scanning back in batches
        # (bounded, so a filter matching nothing cannot walk a huge room's whole history).
        batch_size = max(2 * (limit + 1), 50)
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
        limited = len(found) > limit or more_unscanned
        return list(reversed(found[:limit])), limited

    async def _state_section(
        self,
        request: SyncRequest,
        room_id: str,
        timeline: list[StoredEvent],
        state_before: int,
        incremental_since: int | None,
    ) -> list[StoredEvent]:
        """State up to the start of the timeline: everything, or what changed since the last sync."""
        state_filter = request.filter.room.state
        state = await self.storage.events.state_at(room_id, state_before)
        if incremental_since is not None:
            keys = set(await self.storage.events.state_changed_between(room_id, incremental_since, state_before))
            chosen = [s for key, s in state.items() if key in keys]
        else:
            chosen = list(state.values())
        if state_filter.lazy_load_members and not request.full_state:
            wanted = {s.event["sender"] for s in timeline} | {request.requester.user_id}
            chosen = [s for s in chosen if s.event["type"] != "m.room.member" or s.event["state_key"] in wanted]
            if incremental_since is not None:
                present = {s.event["state_key"] for s in chosen if s.event["type"] == "m.room.member"}
                for sender in wanted - present:
                    member = state.get(("m.room.member", sender))
                    if member is not None:
                        chosen.append(member)
        chosen = [s for s in chosen if state_filter.matches(s.event)]
        return sorted(chosen, key=lambda s: s.pos)

    async def _joined_room(self, request: SyncRequest, room_id: str, newly_joined: bool) -> dict[str, Any] | None:
        room_filter = request.filter.room
        since = None if newly_joined or request.full_state else request.since
        timeline, limited = await self._timeline(request, room_id, since or 0, request.upto, room_filter.timeline)
        if since is not None and request.since is not None and not timeline:
            limited = False
        timeline_start = timeline[0].pos if timeline else request.upto + 1
        if since is None:
            state = await self._state_section(request, room_id, timeline, timeline_start - 1, None)
        elif limited:
            state = await self._state_section(request, room_id, timeline, timeline_start - 1, since)
        else:
            state = []
        if since is not None and limited is False and room_filter.state.lazy_load_members:
            state = await self._lazy_members_for(request, room_id, timeline, state)
        prev_batch = make_token(timeline[0].pos - 1) if timeline else make_token(request.upto)
        requester = request.requester
        entry: dict[str, Any] = {
            "timeline": {
                "events": await self.serializer.serialize(timeline, requester, include_room_id=False),
                "limited": limited,
                "prev_batch": prev_batch,
            },
            "state": {"events": await self.serializer.serialize(state, requester, include_room_id=False)},
            "ephemeral": {"events": await self._ephemeral(request, room_id, since)},
            "account_data": {"events": await self._room_account_data(request, room_id, since)},
            "unread_notifications": await self._unread_counts(room_id, requester.user_id),
        }
        if since is None or any(s.event["type"] == "m.room.member" for s in timeline + state):
            entry["summary"] = await self._summary(room_id, requester.user_id)
        return entry

    async def _lazy_members_for(
        self, request: SyncRequest, room_id: str, timeline: list[StoredEvent], state: list[StoredEvent]
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

    async def _invited_room(self, room_id: str, user_id: str) -> dict[str, Any]:
        state = await self.storage.events.current_state(room_id)
        stripped = [stripped_state_event(s.event) for key, s in state.items() if key[0] in INVITE_STATE_TYPES]
        invite = state.get(("m.room.member", user_id))
        if invite is not None:
            member = stripped_state_event(invite.event)
            member["event_id"] = invite.event["event_id"]
            member["origin_server_ts"] = invite.event["origin_server_ts"]
            stripped.append(member)
        inviter = invite.event["sender"] if invite else None
        if inviter is not None and ("m.room.member", inviter) in state:
            stripped.append(stripped_state_event(state[("m.room.member", inviter)].event))
        return {"invite_state": {"events": stripped}}

    async def _left_room(self, request: SyncRequest, room_id: str, leave_pos: int) -> dict[str, Any]:
        since = request.since or 0
        timeline, limited = await self._timeline(request, room_id, since, leave_pos, request.filter.room.timeline)
        timeline_start = timeline[0].pos if timeline else leave_pos + 1
        state = (
            await self._state_section(
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

    async def _ephemeral(self, request: SyncRequest, room_id: str, since: int | None) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        after = since or 0
        typing_changed = since is None or room_id in await self.storage.ephemeral.typing_changed_rooms(
            [room_id], after, request.upto
        )
        if typing_changed:
            users = await self.storage.ephemeral.typing_users(room_id, self.clock.now_ms())
            if users or since is not None:
                out.append({"type": "m.typing", "content": {"user_ids": users}})
        receipts = await self.storage.ephemeral.receipts_since([room_id], after, request.upto)
        content: dict[str, dict[str, dict[str, Any]]] = {}
        for receipt in receipts:
            if receipt.receipt_type == "m.read.private" and receipt.user_id != request.requester.user_id:
                continue
            data: dict[str, Any] = {"ts": receipt.ts}
            if receipt.thread_id:
                data["thread_id"] = receipt.thread_id
            content.setdefault(receipt.event_id, {}).setdefault(receipt.receipt_type, {})[receipt.user_id] = data
        if content:
            out.append({"type": "m.receipt", "content": content})
        return [e for e in out if request.filter.room.ephemeral.matches(e)]

    async def _room_account_data(self, request: SyncRequest, room_id: str, since: int | None) -> list[dict[str, Any]]:
        data = await self.storage.account.account_data_since(request.requester.user_id, since or 0, request.upto)
        events = [{"type": t, "content": c} for t, c in data.get(room_id, {}).items()]
        return [e for e in events if request.filter.room.account_data.matches(e)]

    async def _global_account_data(self, request: SyncRequest) -> list[dict[str, Any]]:
        data = await self.storage.account.account_data_since(
            request.requester.user_id, request.since or 0, request.upto
        )
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
        users = sorted(await self.storage.rooms.users_sharing_rooms(user_id) | {user_id})
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

    async def _unread_counts(self, room_id: str, user_id: str) -> dict[str, int]:
        read_pos = await self.storage.ephemeral.read_receipt_pos(room_id, user_id)
        unread = await self.storage.events.unread_events(room_id, read_pos, user_id, NOTIFYING_TYPES, 1000)
        user = await self.storage.users.get_user(user_id)
        highlight = 0
        for event in unread:
            if _mentions(event.get("content", {}), user_id, user.displayname if user else None):
                highlight += 1
        return {"notification_count": len(unread), "highlight_count": highlight}

    async def _summary(self, room_id: str, user_id: str) -> dict[str, Any]:
        counts = await self.storage.rooms.member_counts(room_id)
        summary: dict[str, Any] = {
            "m.joined_member_count": counts.get("join", 0),
            "m.invited_member_count": counts.get("invite", 0),
        }
        state = await self.storage.events.current_state(room_id)
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


def _mentions(content: dict[str, Any], user_id: str, displayname: str | None) -> bool:
    mentions = content.get("m.mentions")
    if isinstance(mentions, dict):
        users = mentions.get("user_ids")
        return (isinstance(users, list) and user_id in users) or mentions.get("room") is True
    body = content.get("body")
    if not isinstance(body, str):
        return False
    return user_id in body or (bool(displayname) and displayname is not None and displayname.lower() in body.lower())
