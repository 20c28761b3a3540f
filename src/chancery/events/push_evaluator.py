"""Evaluating a user's push rules against an event (client-server API: push notifications, push rules).
Pure: the caller supplies the room facts the conditions need.

The rule kinds are tried in the spec's order (override, content, room, sender, underride), enabled rules
only; the first rule whose conditions all hold gives the actions. A condition of an unknown kind never
holds, so a rule using one does not match. Globs are matched without regular expressions or
backtracking: `*` pieces are found left to right (the earliest occurrence is always safe), `?` is any
one character; matching is case-insensitive as the spec asks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

KINDS = ("override", "content", "room", "sender", "underride")
MAX_PATTERN_LENGTH = 255  # a longer pattern does not match (bounds the work per condition)
_MAX_CHECKED = 200_000  # characters compared for one `?` piece before it is taken not to match
_MISSING = object()


@dataclass(frozen=True)
class RoomFacts:
    """What conditions ask about the room and the recipient, as of the event."""

    user_id: str
    display_name: str | None
    member_count: int
    sender_power: float  # infinite for the creators of a room version 12 room
    notification_levels: dict[str, int]  # power levels' `notifications` (key -> level; the default is 50)


def push_actions(rules: dict[str, Any], event: dict[str, Any], facts: RoomFacts) -> list[Any]:
    """The actions of the first matching rule in the `m.push_rules` content's `global` ruleset; [] if none."""
    for kind in KINDS:
        for rule in rules.get(kind, []):
            if isinstance(rule, dict) and rule.get("enabled", True) and _rule_matches(kind, rule, event, facts):
                actions = rule.get("actions", [])
                return list(actions) if isinstance(actions, list) else []
    return []


def notifies(actions: list[Any]) -> bool:
    return "notify" in actions


def highlights(actions: list[Any]) -> bool:
    for action in actions:
        if isinstance(action, dict) and action.get("set_tweak") == "highlight":
            return action.get("value", True) is True
    return False


def _rule_matches(kind: str, rule: dict[str, Any], event: dict[str, Any], facts: RoomFacts) -> bool:
    rule_id = rule.get("rule_id")
    if kind == "room":
        return rule_id == event.get("room_id")
    if kind == "sender":
        return rule_id == event.get("sender")
    if kind == "content":
        pattern = rule.get("pattern")
        return isinstance(pattern, str) and _event_match(event, "content.body", pattern)
    conditions = rule.get("conditions", [])
    if not isinstance(conditions, list):
        return False
    return all(isinstance(c, dict) and _condition_holds(c, event, facts) for c in conditions)


def _condition_holds(condition: dict[str, Any], event: dict[str, Any], facts: RoomFacts) -> bool:
    kind = condition.get("kind")
    key = condition.get("key")
    if kind == "event_match":
        pattern = condition.get("pattern")
        return isinstance(key, str) and isinstance(pattern, str) and _event_match(event, key, pattern)
    if kind == "event_property_is":
        value = _property(event, key) if isinstance(key, str) else _MISSING
        expected = condition.get("value", _MISSING)
        return value is not _MISSING and _same_scalar(value, expected)
    if kind == "event_property_contains":
        value = _property(event, key) if isinstance(key, str) else _MISSING
        expected = condition.get("value", _MISSING)
        return isinstance(value, list) and any(_same_scalar(item, expected) for item in value)
    if kind == "contains_display_name":
        body = _property(event, "content.body")
        name = facts.display_name
        return isinstance(body, str) and bool(name) and _contains_word(body.lower(), (name or "").lower())
    if kind == "room_member_count":
        return _count_matches(condition.get("is"), facts.member_count)
    if kind == "sender_notification_permission":
        return isinstance(key, str) and facts.sender_power >= facts.notification_levels.get(key, 50)
    return False


def _same_scalar(value: Any, expected: Any) -> bool:
    # true == 1 in Python; the spec compares JSON values, where they differ.
    if isinstance(value, bool) or isinstance(expected, bool):
        return isinstance(value, bool) and isinstance(expected, bool) and value is expected
    if value is None or expected is None:
        return value is None and expected is None
    return isinstance(value, str | int) and type(value) is type(expected) and value == expected


def _property(event: dict[str, Any], key: str) -> Any:
    """The value at a dotted path (`\\.` is a literal dot, `\\\\` a backslash)."""
    value: Any = event
    for part in _split_key(key):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _split_key(key: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    escaped = False
    for char in key:
        if escaped:
            current.append(char if char in ".\\" else "\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ".":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current) + ("\\" if escaped else ""))
    return parts


def _event_match(event: dict[str, Any], key: str, pattern: str) -> bool:
    value = _property(event, key)
    if not isinstance(value, str) or len(pattern) > MAX_PATTERN_LENGTH:
        return False
    text, pattern = value.lower(), pattern.lower()
    if key == "content.body":
        # The body matches when the pattern matches some run of whole words in it.
        if "*" not in pattern and "?" not in pattern:
            return _contains_word(text, pattern)
        return glob_matches(f"*{pattern}*", text)
    return glob_matches(pattern, text)


def _contains_word(text: str, word: str) -> bool:
    if not word:
        return False
    start = text.find(word)
    while start >= 0:
        end = start + len(word)
        before_ok = start == 0 or not text[start - 1].isalnum()
        after_ok = end == len(text) or not text[end].isalnum()
        if before_ok and after_ok:
            return True
        start = text.find(word, start + 1)
    return False


def glob_matches(pattern: str, text: str) -> bool:
    """`*`: any run of characters, `?`: any one character, anything else: itself. Linear in the text for
    each `*` piece (times the piece's length where it has a `?`), never backtracking."""
    pieces = pattern.split("*")
    if len(pieces) == 1:
        return len(text) == len(pattern) and _piece_at(pattern, text, 0)
    first, last = pieces[0], pieces[-1]
    start, end = len(first), len(text) - len(last)
    if end < start or not _piece_at(first, text, 0) or not _piece_at(last, text, end):
        return False
    for piece in pieces[1:-1]:
        found = _find_piece(piece, text, start, end)
        if found < 0:
            return False
        start = found + len(piece)
    return True


def _piece_at(piece: str, text: str, at: int) -> bool:
    if at + len(piece) > len(text):
        return False
    if "?" not in piece:
        return text.startswith(piece, at)
    return all(p == "?" or p == text[at + i] for i, p in enumerate(piece))


def _find_piece(piece: str, text: str, start: int, end: int) -> int:
    """The earliest place in text[start:end] where `piece` matches. With a `?`, candidates come from its
    longest literal run (found by str.find), and the checking is bounded: past _MAX_CHECKED characters
    compared the piece is taken not to match, so no pattern can hold the server for long."""
    if "?" not in piece:
        return text.find(piece, start, end)
    anchor = max(piece.split("?"), key=len)
    offset = piece.index(anchor) if anchor else 0
    checked = 0
    at = start
    while at <= end - len(piece):
        if anchor:
            found = text.find(anchor, at + offset, end - len(piece) + offset + len(anchor))
            if found < 0:
                return -1
            at = found - offset
        checked += len(piece)
        if checked > _MAX_CHECKED:
            return -1
        if _piece_at(piece, text, at):
            return at
        at += 1
    return -1


def _count_matches(spec: Any, count: int) -> bool:
    """`is` of room_member_count: a number with an optional prefix ==, <, >, >=, <=."""
    if not isinstance(spec, str):
        return False
    for prefix in ("==", ">=", "<=", "<", ">", ""):
        if spec.startswith(prefix):
            number = spec[len(prefix) :]
            if not (number.isascii() and number.isdigit()) or len(number) > 9:
                return False
            n = int(number)
            return {
                "==": count == n,
                "": count == n,
                ">=": count >= n,
                "<=": count <= n,
                "<": count < n,
                ">": count > n,
            }[prefix]
    return False
