"""Power level arithmetic shared by the auth rules and the services (spec: m.room.power_levels)."""

from __future__ import annotations

import math
import string
from collections.abc import Mapping
from typing import Any

from .room_versions import ROOM_VERSIONS, RoomVersion

StateMap = Mapping[tuple[str, str], dict[str, Any]]

INFINITE = math.inf
_LENIENT = ROOM_VERSIONS["1"]  # the version accepting every form of level
_ACTION_DEFAULTS = {"ban": 50, "kick": 50, "redact": 50, "invite": 0}


def original_creator(create_event: dict[str, Any], version: RoomVersion) -> str:
    """Who created the room: `content.creator` before v11 (which removed it), the create `sender` after."""
    if not version.v11_redaction_and_format:
        return str(create_event.get("content", {}).get("creator", create_event["sender"]))
    return str(create_event["sender"])


def room_creators(create_event: dict[str, Any] | None, version: RoomVersion) -> frozenset[str]:
    """v12: the create sender plus `additional_creators`; earlier versions: the one original creator."""
    if create_event is None:
        return frozenset()
    creators = {original_creator(create_event, version)}
    if version.create_event_defines_room_id:
        extra = create_event.get("content", {}).get("additional_creators", [])
        if isinstance(extra, list):
            creators.update(str(user) for user in extra)
    return frozenset(creators)


_MAX_LEVEL_DIGITS = 19  # enough for any 64-bit level; longer strings are refused, not parsed


def parse_level(value: Any, version: RoomVersion) -> int | None:
    """A power level as `version` writes it, or None when it is not one.

    Integers everywhere; before v10 also strings holding an integer (optional sign, leading zeros and
    surrounding whitespace); before v6 also finite floats, truncated at the decimal point (spec: rooms v1
    "stringy" and "floaty" power levels).
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if version.integer_power_levels:
        return None
    if isinstance(value, str):
        return _int_from_string(value)
    if isinstance(value, float) and not version.strict_canonical_json and math.isfinite(value):
        return int(value)
    return None


def _int_from_string(text: str) -> int | None:
    stripped = text.strip(string.whitespace)
    sign, digits = (stripped[0], stripped[1:]) if stripped[:1] in ("+", "-") else ("", stripped)
    if not digits or not (digits.isascii() and digits.isdigit()):
        return None
    significant = digits.lstrip("0") or "0"
    if len(significant) > _MAX_LEVEL_DIGITS:
        return None
    return int(sign + significant)


def _int(value: Any, default: int) -> int:
    """A level read from accepted state. The auth rules only let strings and floats into rooms whose version
    allows them, so reading them leniently here gives every version's meaning."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, (str, float)):
        parsed = parse_level(value, _LENIENT)
        return default if parsed is None else parsed
    return default


def user_power_level(user_id: str, state: StateMap, version: RoomVersion) -> float:
    create_event = state.get(("m.room.create", ""))
    if version.create_event_defines_room_id and user_id in room_creators(create_event, version):
        return INFINITE
    power_levels = state.get(("m.room.power_levels", ""))
    if power_levels is None:
        # Without a power levels event the creator has 100 and everyone else 0 (spec: m.room.power_levels).
        return 100 if user_id in room_creators(create_event, version) else 0
    content = power_levels.get("content", {})
    users = content.get("users", {})
    if isinstance(users, dict) and user_id in users:
        return _int(users[user_id], 0)
    return _int(content.get("users_default"), 0)


def action_level(action: str, state: StateMap) -> int:
    """The level needed to ban, kick, redact or invite."""
    power_levels = state.get(("m.room.power_levels", ""))
    content = power_levels.get("content", {}) if power_levels else {}
    return _int(content.get(action), _ACTION_DEFAULTS[action])


def required_event_level(event_type: str, is_state: bool, state: StateMap) -> int:
    power_levels = state.get(("m.room.power_levels", ""))
    if power_levels is None:
        return 0
    content = power_levels.get("content", {})
    events = content.get("events", {})
    if isinstance(events, dict) and event_type in events:
        return _int(events[event_type], 0)
    if is_state:
        return _int(content.get("state_default"), 50)
    return _int(content.get("events_default"), 0)


def notification_level(key: str, state: StateMap) -> int:
    power_levels = state.get(("m.room.power_levels", ""))
    content = power_levels.get("content", {}) if power_levels else {}
    notifications = content.get("notifications", {})
    return _int(notifications.get(key) if isinstance(notifications, dict) else None, 50)
