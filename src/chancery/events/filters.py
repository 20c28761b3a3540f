"""Event filters (client-server API: filtering). Pure matching, no I/O.

Type patterns are matched by a glob in linear time, never by a regular expression built from user
input: a crafted pattern ("a*a*a*...b") cannot make the server backtrack. Every list in a filter is
bounded in entries and in the length of each entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import bad_json

DEFAULT_TIMELINE_LIMIT = 10
MAX_TIMELINE_LIMIT = 1000
# Real clients send a handful of type patterns (Element: a few event types); sender and room lists name
# identifiers, which are matched by set lookup, so they may be longer. Identifiers and types are at most
# 255 characters in Matrix.
MAX_PATTERNS = 100
MAX_IDENTIFIERS = 1000
MAX_ENTRY_LENGTH = 255


def _strings(value: Any, name: str, max_items: int = MAX_IDENTIFIERS) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad_json(f"filter {name} must be a list of strings")
    if len(value) > max_items:
        raise bad_json(f"filter {name} may have at most {max_items} entries")
    if any(len(v) > MAX_ENTRY_LENGTH for v in value):
        raise bad_json(f"filter {name} entries may be at most {MAX_ENTRY_LENGTH} characters long")
    return list(value)


def _patterns(value: Any, name: str) -> list[str] | None:
    return _strings(value, name, MAX_PATTERNS)


def _flag(raw: dict[str, Any], key: str, name: str) -> bool:
    value = raw.get(key)
    if value is None:  # absent or null: the spec default
        return False
    if not isinstance(value, bool):
        raise bad_json(f"{name}.{key} must be a boolean")
    return value


Glob = tuple[str, ...]  # a pattern split at its `*`s


def compile_glob(pattern: str) -> Glob:
    return tuple(pattern.split("*"))


def glob_matches(glob: Glob, text: str) -> bool:
    """Whether `text` matches the pattern, where `*` is any run of characters (possibly empty) and every
    other character matches itself. Each literal piece is looked for once, left to right (taking the
    earliest occurrence is always safe for `*`-only patterns), so the time is linear in the text for each
    piece: no backtracking."""
    if len(glob) == 1:
        return text == glob[0]
    first, last = glob[0], glob[-1]
    if len(glob) == 2:  # the usual "m.room.*" or "*"
        return len(text) >= len(first) + len(last) and text.startswith(first) and text.endswith(last)
    start, end = len(first), len(text) - len(last)
    if end < start or not text.startswith(first) or not text.endswith(last):
        return False
    for piece in glob[1:-1]:
        if piece:
            found = text.find(piece, start, end)
            if found < 0:
                return False
            start = found + len(piece)
    return True


def _globs(patterns: list[str] | None) -> tuple[Glob, ...] | None:
    return None if patterns is None else tuple(compile_glob(p) for p in patterns)


def _matches_any(globs: tuple[Glob, ...], text: str) -> bool:
    for glob in globs:  # noqa: SIM110 - a loop, not any(generator): this runs for every event filtered
        if glob_matches(glob, text):
            return True
    return False


@dataclass(frozen=True)
class EventFilter:
    types: list[str] | None = None
    not_types: list[str] = field(default_factory=list)
    senders: list[str] | None = None
    not_senders: list[str] = field(default_factory=list)
    rooms: list[str] | None = None
    not_rooms: list[str] = field(default_factory=list)
    contains_url: bool | None = None
    limit: int | None = None
    lazy_load_members: bool = False
    include_redundant_members: bool = False
    # Derived from the lists above for matching: compiled type patterns, identifier sets.
    _types: tuple[Glob, ...] | None = field(init=False, repr=False, compare=False)
    _not_types: tuple[Glob, ...] = field(init=False, repr=False, compare=False)
    _senders: frozenset[str] | None = field(init=False, repr=False, compare=False)
    _not_senders: frozenset[str] = field(init=False, repr=False, compare=False)
    _rooms: frozenset[str] | None = field(init=False, repr=False, compare=False)
    _not_rooms: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        derived = {
            "_types": _globs(self.types),
            "_not_types": _globs(self.not_types) or (),
            "_senders": None if self.senders is None else frozenset(self.senders),
            "_not_senders": frozenset(self.not_senders),
            "_rooms": None if self.rooms is None else frozenset(self.rooms),
            "_not_rooms": frozenset(self.not_rooms),
        }
        for key, value in derived.items():
            object.__setattr__(self, key, value)

    @classmethod
    def parse(cls, raw: Any, name: str = "filter") -> EventFilter:
        if raw is None:
            return cls()
        if not isinstance(raw, dict):
            raise bad_json(f"{name} must be an object")
        limit = raw.get("limit")
        if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 0):
            raise bad_json(f"{name}.limit must be a non-negative integer")
        contains_url = raw.get("contains_url")
        if contains_url is not None and not isinstance(contains_url, bool):
            raise bad_json(f"{name}.contains_url must be a boolean")
        return cls(
            types=_patterns(raw.get("types"), "types"),
            not_types=_patterns(raw.get("not_types"), "not_types") or [],
            senders=_strings(raw.get("senders"), "senders"),
            not_senders=_strings(raw.get("not_senders"), "not_senders") or [],
            rooms=_strings(raw.get("rooms"), "rooms"),
            not_rooms=_strings(raw.get("not_rooms"), "not_rooms") or [],
            contains_url=contains_url,
            limit=None if limit is None else min(limit, MAX_TIMELINE_LIMIT),
            lazy_load_members=_flag(raw, "lazy_load_members", name),
            include_redundant_members=_flag(raw, "include_redundant_members", name),
        )

    def allows_room(self, room_id: str) -> bool:
        if room_id in self._not_rooms:
            return False
        return self._rooms is None or room_id in self._rooms

    def matches(self, event: dict[str, Any]) -> bool:
        event_type = str(event.get("type", ""))
        if self._not_types and _matches_any(self._not_types, event_type):
            return False
        if self._types is not None and not _matches_any(self._types, event_type):
            return False
        sender = event.get("sender")
        if sender in self._not_senders:
            return False
        if self._senders is not None and sender not in self._senders:
            return False
        room_id = event.get("room_id")
        if isinstance(room_id, str) and not self.allows_room(room_id):
            return False
        if self.contains_url is not None:
            has_url = isinstance(event.get("content", {}).get("url"), str)
            if has_url != self.contains_url:
                return False
        return True

    @property
    def blocks_everything(self) -> bool:
        return self.types == [] or self.limit == 0


@dataclass(frozen=True)
class RoomFilter:
    rooms: list[str] | None = None
    not_rooms: list[str] = field(default_factory=list)
    include_leave: bool = False
    timeline: EventFilter = field(default_factory=EventFilter)
    state: EventFilter = field(default_factory=EventFilter)
    ephemeral: EventFilter = field(default_factory=EventFilter)
    account_data: EventFilter = field(default_factory=EventFilter)

    def allows_room(self, room_id: str) -> bool:
        if room_id in self.not_rooms:
            return False
        return self.rooms is None or room_id in self.rooms


@dataclass(frozen=True)
class SyncFilter:
    room: RoomFilter = field(default_factory=RoomFilter)
    presence: EventFilter = field(default_factory=EventFilter)
    account_data: EventFilter = field(default_factory=EventFilter)
    event_fields: list[str] | None = None

    @classmethod
    def parse(cls, raw: Any) -> SyncFilter:
        if raw is None:
            return cls()
        if not isinstance(raw, dict):
            raise bad_json("filter must be an object")
        room_raw = raw.get("room", {})
        if not isinstance(room_raw, dict):
            raise bad_json("filter.room must be an object")
        event_format = raw.get("event_format", "client")
        if event_format not in ("client", "federation"):
            raise bad_json("event_format must be 'client' or 'federation'")
        room = RoomFilter(
            rooms=_strings(room_raw.get("rooms"), "room.rooms"),
            not_rooms=_strings(room_raw.get("not_rooms"), "room.not_rooms") or [],
            include_leave=_flag(room_raw, "include_leave", "filter.room"),
            timeline=EventFilter.parse(room_raw.get("timeline"), "room.timeline"),
            state=EventFilter.parse(room_raw.get("state"), "room.state"),
            ephemeral=EventFilter.parse(room_raw.get("ephemeral"), "room.ephemeral"),
            account_data=EventFilter.parse(room_raw.get("account_data"), "room.account_data"),
        )
        return cls(
            room=room,
            presence=EventFilter.parse(raw.get("presence"), "presence"),
            account_data=EventFilter.parse(raw.get("account_data"), "account_data"),
            event_fields=_strings(raw.get("event_fields"), "event_fields"),
        )


def validate_filter_definition(raw: Any) -> None:
    """Reject a filter definition the server could not apply (POST /user/{userId}/filter)."""
    SyncFilter.parse(raw)
