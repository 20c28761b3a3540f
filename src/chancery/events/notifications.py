"""Whether an event notifies, and whom it mentions, under the default push rules (client-server API:
push notifications, default rules, v1.17).

Decided once per event, at insert, so unread counts are a COUNT of rows. The override rules are applied
in their spec order: `.m.rule.suppress_notices` and `.m.rule.member_event` silence an event before any
mention can match; `.m.rule.is_user_mention` and `.m.rule.is_room_mention` (and `.m.rule.tombstone`, a
highlight for everyone) come before `.m.rule.suppress_edits`, so an edit that newly mentions someone
still highlights them. The underride rules make the remaining message-like types notify everyone.
Matching on the body or display name is no longer a default rule (v1.17).

`.m.rule.is_room_mention` also needs `sender_notification_permission`: the caller says whether the sender's
power level reaches `notifications.room` in the state before the event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ROOM_MENTION = "@room"  # the mention "user" standing for everyone in the room
NOTIFYING_TYPES = frozenset({"m.room.message", "m.room.encrypted", "m.sticker", "m.call.invite", "m.poll.start"})
MAX_MENTIONS = 100  # mentions recorded per event; bounds the rows a single event can add
MAX_USER_ID_LENGTH = 255


@dataclass(frozen=True)
class Notification:
    """`notifies`: every member but the sender gets a notification. `mentions`: users (or ROOM_MENTION)
    who get a highlighted notification whatever `notifies` says."""

    notifies: bool = False
    mentions: frozenset[str] = field(default_factory=frozenset)


SILENT = Notification()


def classify(event: dict[str, Any], may_notify_room: bool = True) -> Notification:
    content = event.get("content")
    if not isinstance(content, dict):
        return SILENT
    event_type = event.get("type")
    if content.get("msgtype") == "m.notice" or event_type == "m.room.member":
        return SILENT
    if event_type == "m.room.tombstone" and event.get("state_key") == "":
        return Notification(True, frozenset({ROOM_MENTION}))
    mentions = _mentioned(content)
    if not may_notify_room:
        mentions -= {ROOM_MENTION}
    notifies = event_type in NOTIFYING_TYPES and not _is_edit(content)
    return Notification(notifies, mentions)


def _mentioned(content: dict[str, Any]) -> frozenset[str]:
    mentions = content.get("m.mentions")
    if not isinstance(mentions, dict):
        return frozenset()
    found: set[str] = set()
    user_ids = mentions.get("user_ids")
    if isinstance(user_ids, list):
        for user_id in user_ids:
            if _looks_like_user_id(user_id):
                found.add(user_id)
                if len(found) >= MAX_MENTIONS:
                    break
    if mentions.get("room") is True:
        found.add(ROOM_MENTION)
    return frozenset(found)


def _looks_like_user_id(value: object) -> bool:
    # A real user ID has a server part, so no entry can collide with ROOM_MENTION.
    return isinstance(value, str) and value.startswith("@") and ":" in value and len(value) <= MAX_USER_ID_LENGTH


def _is_edit(content: dict[str, Any]) -> bool:
    relates = content.get("m.relates_to")
    return isinstance(relates, dict) and relates.get("rel_type") == "m.replace"
