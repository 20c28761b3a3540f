"""Server-side search (client-server API: server side search), the `room_events` category.

It searches the rooms the user is or was joined to, except encrypted ones, and shows only what history
visibility lets the user see there, exactly as /messages would: a former member finds nothing sent after
they left. Each page re-runs the query; `recent` pages continue below the last position shown, `rank` pages
by offset into the (capped) visible result list. Result events carry the legacy `user_id` too (clients and the
reference test suite read it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import bad_json, invalid_param, missing_param
from ..events.filters import EventFilter
from ..events.search_text import SEARCH_KEYS, search_words
from ..storage import Storage
from ..storage.events import StoredEvent
from ..storage.search import Order, SearchStore
from .accounts.requester import Requester
from .legacy.flat_events import v1_format
from .rooms.serialize import EventSerializer
from .rooms.visibility import VisibilityService
from .sync.request import make_token

DEFAULT_LIMIT = 10
MAX_LIMIT = 100
MAX_CONTEXT = 100
# Matches read per page (before visibility and the filter): `count` is exact below this, an estimate above.
MAX_SCAN = 1000
MAX_TERM_CHARS = 1000


@dataclass(frozen=True)
class _Criteria:
    words: list[str]
    keys: list[str]
    event_filter: EventFilter
    limit: int
    order: Order
    before_limit: int
    after_limit: int
    include_profile: bool
    include_context: bool
    include_state: bool
    group_by: list[str]


class SearchService:
    def __init__(self, storage: Storage, serializer: EventSerializer, visibility: VisibilityService) -> None:
        self.storage = storage
        self.serializer = serializer
        self.visibility = visibility
        self.index = SearchStore(storage.db)

    async def search(self, requester: Requester, body: dict[str, Any], next_batch: str | None) -> dict[str, Any]:
        categories = body.get("search_categories")
        if not isinstance(categories, dict):
            raise missing_param("search_categories must be an object")
        result: dict[str, Any] = {}
        if "room_events" in categories:
            criteria = _parse(categories["room_events"])
            result["room_events"] = await self._room_events(requester, criteria, next_batch)
        return {"search_categories": result}

    async def _room_events(self, requester: Requester, criteria: _Criteria, next_batch: str | None) -> dict[str, Any]:
        order = criteria.order
        before, offset = _parse_batch(next_batch, order)
        rooms = await self._searchable_rooms(requester.user_id, criteria.event_filter)
        hidden = await self.visibility.rooms_hidden_from(requester, rooms)
        rooms = [room_id for room_id in rooms if room_id not in hidden]
        # The top of the result list: enough for `count` and the first pages.
        ranked, complete = await self._ranked(requester, criteria, rooms, None)
        count = len(ranked)
        if before is not None:
            if not complete and ranked and ranked[-1][0].pos >= before:
                ranked, _ = await self._ranked(requester, criteria, rooms, before)  # a page past the top
            ranked = [item for item in ranked if item[0].pos < before]
        page = ranked[offset : offset + criteria.limit]
        token = None
        if criteria.limit and len(page) == criteria.limit:
            # A full page says there may be more (the next one may be empty), as Synapse does.
            token = f"b{page[-1][0].pos}" if order == "recent" else f"o{offset + criteria.limit}"
        events = [stored for stored, _ in page]
        serialized = v1_format(await self.serializer.serialize(events, requester))
        results: list[dict[str, Any]] = []
        for (stored, rank), event in zip(page, serialized, strict=True):
            entry: dict[str, Any] = {"rank": rank, "result": event}
            if criteria.include_context:
                entry["context"] = await self._context(requester, stored, criteria)
            results.append(entry)
        response: dict[str, Any] = {"results": results, "count": count, "highlights": criteria.words}
        if token is not None:
            response["next_batch"] = token
        if criteria.group_by:
            response["groups"] = _groups(events, criteria.group_by, token)
        if criteria.include_state:
            response["state"] = await self._states(requester, sorted({s.event["room_id"] for s in events}))
        return response

    async def _ranked(
        self, requester: Requester, criteria: _Criteria, rooms: list[str], before: int | None
    ) -> tuple[list[tuple[StoredEvent, float]], bool]:
        """Visible matches in result order (from below `before`), and whether that is all of them."""
        found = await self.index.search(
            criteria.words, rooms, criteria.keys, criteria.order, before=before, limit=MAX_SCAN
        )
        visible = await self._visible(requester.user_id, [stored for stored, _ in found], criteria.event_filter)
        return [(stored, rank) for stored, rank in found if stored.pos in visible], len(found) < MAX_SCAN

    async def _searchable_rooms(self, user_id: str, event_filter: EventFilter) -> list[str]:
        """Rooms the user has ever been joined to that the filter allows, without the encrypted ones."""
        histories = await self.storage.rooms.membership_histories(user_id)
        rooms = sorted(
            room_id
            for room_id, changes in histories.items()
            if any(membership == "join" for _, membership in changes) and event_filter.allows_room(room_id)
        )
        states = await self.storage.events.current_state_ids_of_rooms(rooms)
        return [room_id for room_id in rooms if ("m.room.encryption", "") not in states[room_id]]

    async def _visible(self, user_id: str, events: list[StoredEvent], event_filter: EventFilter) -> set[int]:
        by_room: dict[str, list[StoredEvent]] = {}
        for stored in events:
            if not stored.redacted and event_filter.matches(stored.event):
                by_room.setdefault(stored.event["room_id"], []).append(stored)
        visible = await self.visibility.filter_visible_in_rooms(user_id, by_room)
        return {stored.pos for room_events in visible.values() for stored in room_events}

    async def _context(self, requester: Requester, stored: StoredEvent, criteria: _Criteria) -> dict[str, Any]:
        """The events around a result, as far as the user may see them, and (optionally) their senders' profiles
        at the time."""
        room_id = stored.event["room_id"]
        events = self.storage.events
        before = await events.room_events(
            room_id, after=0, upto=stored.pos - 1, limit=criteria.before_limit, newest_first=True
        )
        after = await events.room_events(
            room_id, after=stored.pos, upto=2**62, limit=criteria.after_limit, newest_first=False
        )
        before = await self.visibility.filter_visible(requester.user_id, room_id, before)
        after = await self.visibility.filter_visible(requester.user_id, room_id, after)
        context: dict[str, Any] = {
            "events_before": v1_format(await self.serializer.serialize(before, requester)),
            "events_after": v1_format(await self.serializer.serialize(after, requester)),
            "start": make_token(before[-1].pos - 1 if before else stored.pos - 1),
            "end": make_token(after[-1].pos if after else stored.pos),
        }
        if criteria.include_profile:
            profiles: dict[str, Any] = {}
            for shown in [*before, stored, *after]:
                sender = shown.event["sender"]
                if sender in profiles:
                    continue
                member = await events.state_event_at(room_id, "m.room.member", sender, shown.pos)
                content = member.event["content"] if member is not None else {}
                profiles[sender] = {
                    k: content[k] for k in ("displayname", "avatar_url") if isinstance(content.get(k), str)
                }
            context["profile_info"] = profiles
        return context

    async def _states(self, requester: Requester, room_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        """The current state of each room in the results (as it was when a former member left)."""
        states: dict[str, list[dict[str, Any]]] = {}
        for room_id in room_ids:
            allowed, upto = await self.visibility.can_see_room_state(requester.user_id, room_id)
            if not allowed:
                continue
            if upto is None:
                state = await self.storage.events.current_state(room_id)
            else:
                state = await self.storage.events.state_at(room_id, upto)
            states[room_id] = await self.serializer.serialize(sorted(state.values(), key=lambda s: s.pos), requester)
        return states


def _parse(raw: Any) -> _Criteria:
    if not isinstance(raw, dict):
        raise bad_json("room_events must be an object")
    term = raw.get("search_term")
    if not isinstance(term, str):
        raise missing_param("search_term must be a string")
    if len(term) > MAX_TERM_CHARS:
        raise invalid_param("search_term is too long")
    keys = raw.get("keys", list(SEARCH_KEYS))
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise bad_json("keys must be a list of strings")
    unknown = [k for k in keys if k not in SEARCH_KEYS]
    if unknown:
        raise invalid_param(f"Unknown search keys: {', '.join(unknown)}")
    order = raw.get("order_by", "rank")
    if order not in ("rank", "recent"):
        raise invalid_param("order_by must be 'rank' or 'recent'")
    event_filter = EventFilter.parse(raw.get("filter"), "filter")
    limit = DEFAULT_LIMIT if event_filter.limit is None else event_filter.limit
    context = raw.get("event_context")
    if context is not None and not isinstance(context, dict):
        raise bad_json("event_context must be an object")
    groupings = raw.get("groupings", {})
    group_by = groupings.get("group_by", []) if isinstance(groupings, dict) else None
    if not isinstance(group_by, list) or not all(isinstance(g, dict) for g in group_by):
        raise bad_json("groupings.group_by must be a list of objects")
    group_keys = [g.get("key") for g in group_by]
    if not all(key in ("room_id", "sender") for key in group_keys):
        raise invalid_param("Groups are by room_id or sender")
    include_state = raw.get("include_state", False)
    if not isinstance(include_state, bool):
        raise bad_json("include_state must be a boolean")
    return _Criteria(
        words=search_words(term),
        keys=list(dict.fromkeys(keys)),
        event_filter=event_filter,
        limit=max(0, min(limit, MAX_LIMIT)),
        order=order,
        before_limit=_context_limit(context, "before_limit"),
        after_limit=_context_limit(context, "after_limit"),
        include_profile=bool(context and context.get("include_profile") is True),
        include_context=context is not None,
        include_state=include_state,
        group_by=[str(k) for k in group_keys],
    )


def _context_limit(context: dict[str, Any] | None, key: str) -> int:
    value = (context or {}).get(key, 5)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise bad_json(f"event_context.{key} must be a non-negative integer")
    return min(value, MAX_CONTEXT)


def _parse_batch(token: str | None, order: Order) -> tuple[int | None, int]:
    """(before, offset) from a next_batch token: `b<pos>` for recent, `o<offset>` for rank."""
    if token is None:
        return None, 0
    prefix = "b" if order == "recent" else "o"
    digits = token[1:]
    if not token.startswith(prefix) or not digits.isascii() or not digits.isdigit() or len(digits) > 18:
        raise invalid_param("Invalid next_batch token")
    return (int(digits), 0) if order == "recent" else (None, int(digits))


def _groups(events: list[StoredEvent], group_by: list[str], token: str | None) -> dict[str, Any]:
    groups: dict[str, Any] = {}
    for key in group_by:
        by_value: dict[str, Any] = {}
        for stored in events:
            value = str(stored.event[key])
            group = by_value.setdefault(value, {"results": [], "order": len(by_value) + 1})
            group["results"].append(stored.event_id)
            if token is not None:
                group["next_batch"] = token
        groups[key] = by_value
    return groups
