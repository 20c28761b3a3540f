"""A recipient's own push rules, applied to what fan-out would push them.

Whether an event notifies is decided once per event under the default rules (events/notifications.py),
which is what /sync counts. A user who edited their rules (muted a room, silenced a sender, turned
notifications off with `.m.rule.master`) gets pushes only where their rules say `notify`, highlighted
where they set the highlight tweak. Users who never edited their rules, nearly everyone, cost nothing
here: one query finds who has edits at all.
"""

from __future__ import annotations

import logging
from typing import Any

from ...events.power_levels import notification_level, user_power_level
from ...events.push_evaluator import RoomFacts, highlights, notifies, push_actions
from ...storage import Storage
from ...storage.pushers import PushTarget
from ..rooms.events import RoomEventService
from .rules import push_rules_for_user

log = logging.getLogger(__name__)


class UserRuleFilter:
    def __init__(self, storage: Storage, room_events: RoomEventService) -> None:
        self.storage = storage
        self.room_events = room_events

    async def apply(self, targets: list[PushTarget]) -> list[PushTarget]:
        if not targets:
            return targets
        edited = await self.storage.pushers.users_with_rule_edits(sorted({t.user_id for t in targets}))
        if not edited:
            return targets
        events = await self.storage.events.get_events(t.event_id for t in targets if t.user_id in edited)
        rules: dict[str, dict[str, Any]] = {}
        facts: dict[tuple[str, str, str], RoomFacts] = {}
        kept: list[PushTarget] = []
        for target in targets:
            stored = events.get(target.event_id)
            if target.user_id not in edited or stored is None:
                kept.append(target)
                continue
            try:
                if target.user_id not in rules:
                    rules[target.user_id] = (await push_rules_for_user(self.storage, target.user_id))["global"]
                event = stored.event
                key = (target.room_id, target.user_id, event["sender"])
                if key not in facts:
                    facts[key] = await self._facts(*key)
                actions = push_actions(rules[target.user_id], event, facts[key])
            except Exception:  # one odd ruleset or event must not stop everyone's pushes: the defaults decide
                log.exception("push rules could not be evaluated", extra={"user_id": target.user_id})
                kept.append(target)
                continue
            if notifies(actions):
                kept.append(
                    PushTarget(
                        target.pusher_id,
                        target.user_id,
                        target.stream_pos,
                        target.room_id,
                        target.event_id,
                        highlights(actions),
                    )
                )
        return kept

    async def _facts(self, room_id: str, user_id: str, sender: str) -> RoomFacts:
        state = await self.room_events.current_state(room_id)
        version = await self.room_events.room_version(room_id)
        member = state.get(("m.room.member", user_id), {}).get("content", {})
        name = member.get("displayname") if isinstance(member, dict) else None
        counts = await self.storage.rooms.member_counts(room_id)
        return RoomFacts(
            user_id=user_id,
            display_name=name if isinstance(name, str) else None,
            member_count=counts.get("join", 0),
            sender_power=user_power_level(sender, state, version),
            notification_levels={"room": notification_level("room", state)},
        )
