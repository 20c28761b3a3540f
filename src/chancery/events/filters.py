"""Event filters (client-server API: filtering). Pure matching, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ..errors import bad_json

DEFAULT_TIMELINE_LIMIT = 10
MAX_TIMELINE_LIMIT = 1000


def _strings(value: Any, name: str) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad_json(f"filter {name} must be a list of strings")
    return list(value)


def _flag(raw: dict[str, Any], key: str, name: str) -> bool:
    value = raw.get(key)
    if value is None:  # absent or null: the spec default
        return False
    if not isinstance(value, bool):
        raise bad_json(f"{name}.{key} must be a boolean")
    return value


@lru_cache(maxsize=1024)
def _type_pattern(pattern: str) -> re.Pattern[str]:
    # Only `*` is a wildcard (any sequence of characters); `?`, `[` and the rest match themselves.
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


def _matches_type(pattern_list: list[str], event_type: str) -> bool:
    return any(_type_pattern(pattern).fullmatch(event_type) for pattern in pattern_list)


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
            types=_strings(raw.get("types"), "types"),
            not_types=_strings(raw.get("not_types"), "not_types") or [],
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
        if room_id in self.not_rooms:
            return False
        return self.rooms is None or room_id in self.rooms

    def matches(self, event: dict[str, Any]) -> bool:
        event_type = str(event.get("type", ""))
        if self.not_types and _matches_type(self.not_types, event_type):
            return False
        if self.types is not None and not _matches_type(self.types, event_type):
            return False
        sender = event.get("sender")
        if sender in self.not_senders:
            return False
        if self.senders is not None and sender not in self.senders:
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
