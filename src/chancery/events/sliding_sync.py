"""Simplified sliding sync (MSC4186) requests: lists, room subscriptions, room configs, required_state.

Pure parsing and matching, no I/O. The shapes are those Element X (matrix-rust-sdk) and Synapse use at the
unstable path: `required_state` as `[type, state_key]` pairs with the `*`, `$LAZY` and `$ME` wildcards,
`ranges`, `is_invite`. The MSC's later shapes (`range`, `required_state: {include, exclude, lazy_members}`,
`is_invited`) are accepted as well.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from ..errors import MatrixError, bad_json, invalid_param

WILDCARD = "*"
LAZY = "$LAZY"
ME = "$ME"
MEMBER = "m.room.member"
MAX_LISTS = 100
MAX_SUBSCRIPTIONS = 100
MAX_REQUIRED_STATE = 100
MAX_RANGES = 10
MAX_FILTER_VALUES = 100
MAX_TIMELINE_LIMIT = 100  # the server's cap on a room config's timeline_limit
MAX_NAME_LENGTH = 255


@dataclass(frozen=True)
class RequiredState:
    """Which state of a room a client asks for: (type, state_key) `pairs` with wildcards resolved at match
    time, minus `exclude` (the MSC's later shape). `lazy_only` (the later shape's `lazy_members`): member
    events come only through lazy loading or a pair naming the member, never through a wildcard."""

    pairs: frozenset[tuple[str, str]] = frozenset()
    exclude: frozenset[tuple[str, str]] = frozenset()
    lazy_only: bool = False

    @property
    def all_members(self) -> bool:
        return not self.lazy_only and bool({(MEMBER, WILDCARD), (WILDCARD, WILDCARD)} & self.pairs)

    @property
    def lazy_members(self) -> bool:
        return self.lazy_only or ((MEMBER, LAZY) in self.pairs and not self.all_members)

    @property
    def is_empty(self) -> bool:
        return not self.pairs and not self.lazy_only

    def matches(self, event_type: str, state_key: str, user_id: str) -> bool:
        """Whether this asks for the state event (type, state_key) by itself (not through lazy loading)."""
        pairs = self.pairs
        if self.lazy_only and event_type == MEMBER:
            pairs = frozenset((t, k) for t, k in pairs if t == MEMBER and k != WILDCARD)
        return _any_match(pairs, event_type, state_key, user_id) and not _any_match(
            self.exclude, event_type, state_key, user_id
        )

    def union(self, other: RequiredState) -> RequiredState:
        if self == other or other.is_empty:
            return self
        if self.is_empty:
            return other
        if not (self.exclude or other.exclude or self.lazy_only or other.lazy_only):
            return RequiredState(self.pairs | other.pairs)
        # Excludes and lazy-only do not combine as set operations: ask for everything the two might
        # want (a superset, as the MSC allows), members lazily unless either wants them all.
        lazy = not (self.all_members or other.all_members)
        return RequiredState(frozenset({(WILDCARD, WILDCARD)}), lazy_only=lazy)

    def canonical(self) -> str:
        """A stable text form, stored with what a connection sent."""
        return orjson.dumps([sorted(self.pairs), sorted(self.exclude), self.lazy_only]).decode()

    @classmethod
    def from_canonical(cls, text: str) -> RequiredState:
        try:
            pairs, exclude, lazy_only = orjson.loads(text)
            return cls(
                frozenset((str(t), str(k)) for t, k in pairs),
                frozenset((str(t), str(k)) for t, k in exclude),
                bool(lazy_only),
            )
        except (ValueError, TypeError):
            return cls()


def _any_match(pairs: frozenset[tuple[str, str]], event_type: str, state_key: str, user_id: str) -> bool:
    for wanted_type, wanted_key in pairs:
        if wanted_type not in (WILDCARD, event_type):
            continue
        if wanted_key in (WILDCARD, state_key) or (wanted_key == ME and state_key == user_id):
            return True
    return False


@dataclass(frozen=True)
class RoomConfig:
    timeline_limit: int = 0
    required_state: RequiredState = field(default_factory=RequiredState)

    def combine(self, other: RoomConfig) -> RoomConfig:
        return RoomConfig(
            max(self.timeline_limit, other.timeline_limit), self.required_state.union(other.required_state)
        )


@dataclass(frozen=True)
class ListFilters:
    is_dm: bool | None = None
    is_invite: bool | None = None
    is_encrypted: bool | None = None
    spaces: tuple[str, ...] | None = None
    room_types: tuple[str | None, ...] | None = None
    not_room_types: tuple[str | None, ...] = ()
    tags: tuple[str, ...] | None = None
    not_tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class ListConfig:
    config: RoomConfig
    ranges: tuple[tuple[int, int], ...] | None  # None: the whole list
    filters: ListFilters

    def covers(self, index: int) -> bool:
        return self.ranges is None or any(start <= index <= end for start, end in self.ranges)


@dataclass(frozen=True)
class SlidingSyncRequest:
    conn_id: str
    lists: dict[str, ListConfig]
    subscriptions: dict[str, RoomConfig]
    extensions: dict[str, dict[str, Any]]


def parse_request(body: dict[str, Any]) -> SlidingSyncRequest:
    conn_id = body.get("conn_id", "")
    if not isinstance(conn_id, str) or len(conn_id) > MAX_NAME_LENGTH:
        raise bad_json("conn_id must be a string of at most 255 characters")
    lists = _object(body, "lists")
    if len(lists) > MAX_LISTS:
        raise invalid_param(f"At most {MAX_LISTS} lists")
    subscriptions = _object(body, "room_subscriptions")
    if len(subscriptions) > MAX_SUBSCRIPTIONS:
        raise invalid_param(f"At most {MAX_SUBSCRIPTIONS} room subscriptions")
    extensions = _object(body, "extensions")
    for name, config in extensions.items():
        if not isinstance(config, dict):
            raise bad_json(f"extensions.{name} must be an object")
    return SlidingSyncRequest(
        conn_id,
        {_name(name, "lists"): _list_config(value, f"lists.{name}") for name, value in lists.items()},
        {
            _name(room_id, "room_subscriptions"): _room_config(value, f"room_subscriptions.{room_id}")
            for room_id, value in subscriptions.items()
        },
        extensions,
    )


def _name(name: str, where: str) -> str:
    if not name or len(name) > MAX_NAME_LENGTH:
        raise invalid_param(f"Invalid key in {where}")
    return name


def _object(body: dict[str, Any], key: str) -> dict[str, Any]:
    value = body.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad_json(f"{key} must be an object")
    return value


def _list_config(value: Any, where: str) -> ListConfig:
    if not isinstance(value, dict):
        raise bad_json(f"{where} must be an object")
    return ListConfig(_room_config(value, where), _ranges(value, where), _filters(value.get("filters"), where))


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > 2**53:
        raise bad_json(f"{where} must be a non-negative integer")
    return value


def _room_config(value: Any, where: str) -> RoomConfig:
    if not isinstance(value, dict):
        raise bad_json(f"{where} must be an object")
    limit = _int(value.get("timeline_limit", 0), f"{where}.timeline_limit")
    return RoomConfig(min(limit, MAX_TIMELINE_LIMIT), parse_required_state(value.get("required_state"), where))


def parse_required_state(value: Any, where: str) -> RequiredState:
    if value is None:
        return RequiredState()
    if isinstance(value, dict):  # the MSC's later shape
        include = _elements(value.get("include"), f"{where}.required_state.include")
        exclude = _elements(value.get("exclude"), f"{where}.required_state.exclude")
        lazy = value.get("lazy_members", False)
        if not isinstance(lazy, bool):
            raise bad_json(f"{where}.required_state.lazy_members must be a boolean")
        return RequiredState(frozenset(include), frozenset(exclude), lazy)
    if not isinstance(value, list) or len(value) > MAX_REQUIRED_STATE:
        raise bad_json(f"{where}.required_state must be a list of at most {MAX_REQUIRED_STATE} pairs")
    pairs = set()
    for pair in value:
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)):
            raise bad_json(f"{where}.required_state holds [type, state_key] pairs of strings")
        pairs.add((pair[0], pair[1]))
    return RequiredState(frozenset(pairs))


def _elements(value: Any, where: str) -> set[tuple[str, str]]:
    if value is None:
        return set()
    if not isinstance(value, list) or len(value) > MAX_REQUIRED_STATE:
        raise bad_json(f"{where} must be a list of at most {MAX_REQUIRED_STATE} objects")
    found = set()
    for element in value:
        if not isinstance(element, dict):
            raise bad_json(f"{where} holds objects")
        event_type, state_key = element.get("type", WILDCARD), element.get("state_key", WILDCARD)
        if not isinstance(event_type, str) or not isinstance(state_key, str):
            raise bad_json(f"{where}: type and state_key are strings")
        found.add((event_type, state_key))
    return found


def _ranges(value: dict[str, Any], where: str) -> tuple[tuple[int, int], ...] | None:
    raw = value.get("ranges")
    if raw is None and value.get("range") is not None:
        raw = [value["range"]]
    if raw is None:
        return None
    if not isinstance(raw, list) or len(raw) > MAX_RANGES:
        raise bad_json(f"{where}.ranges must be a list of at most {MAX_RANGES} ranges")
    ranges = []
    for item in raw:
        if not (isinstance(item, list) and len(item) == 2):
            raise bad_json(f"{where}.ranges holds [start, end] pairs")
        start, end = _int(item[0], f"{where}.ranges"), _int(item[1], f"{where}.ranges")
        if start > end:
            raise invalid_param(f"{where}.ranges: a range's start is after its end")
        ranges.append((start, end))
    return tuple(ranges)


def _filters(value: Any, where: str) -> ListFilters:
    if value is None:
        return ListFilters()
    if not isinstance(value, dict):
        raise bad_json(f"{where}.filters must be an object")
    is_invite = value.get("is_invite", value.get("is_invited"))
    room_types = _types(value.get("room_types"), f"{where}.filters.room_types")
    return ListFilters(
        is_dm=_flag(value.get("is_dm"), f"{where}.filters.is_dm"),
        is_invite=_flag(is_invite, f"{where}.filters.is_invite"),
        is_encrypted=_flag(value.get("is_encrypted"), f"{where}.filters.is_encrypted"),
        spaces=_strings(value.get("spaces"), f"{where}.filters.spaces"),
        room_types=room_types,
        not_room_types=_types(value.get("not_room_types"), f"{where}.filters.not_room_types") or (),
        tags=_strings(value.get("tags"), f"{where}.filters.tags"),
        not_tags=_strings(value.get("not_tags"), f"{where}.filters.not_tags") or (),
    )


def _flag(value: Any, where: str) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise bad_json(f"{where} must be a boolean")
    return value


def _strings(value: Any, where: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > MAX_FILTER_VALUES or not all(isinstance(v, str) for v in value):
        raise bad_json(f"{where} must be a list of at most {MAX_FILTER_VALUES} strings")
    return tuple(value)


def _types(value: Any, where: str) -> tuple[str | None, ...] | None:
    if value is None:
        return None
    ok = isinstance(value, list) and len(value) <= MAX_FILTER_VALUES
    if not ok or not all(v is None or isinstance(v, str) for v in value):
        raise bad_json(f"{where} must be a list of at most {MAX_FILTER_VALUES} strings or nulls")
    return tuple(value)


def unknown_pos() -> MatrixError:
    return MatrixError(400, "M_UNKNOWN_POS", "Unknown or expired position; start a new connection")
