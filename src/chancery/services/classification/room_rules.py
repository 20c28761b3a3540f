"""Rules on each event appended to a room: who may enter a classified or restricted room, who may relabel
it, who may hold power, which files may be posted where; and removing, in the same transaction as a raise,
the members the new classification excludes.

Runs inside the room writer's transaction (`RoomEventService.async_event_checks` and `append_hooks`), so every
path that changes a room (createRoom and its invite list, invite, join, knock, state, upgrades) is covered
and a refusal leaves nothing behind.
"""

from __future__ import annotations

from typing import Any

from ...clock import Clock
from ...events.builder import EventDraft, redacted_event_id
from ...policy.classification import (
    ACCESS_RULE_EVENT,
    CLASSIFICATION_EVENT,
    Marking,
    Scheme,
    access_rule_of,
    marking_of,
    may_admit_external,
    may_change,
    may_change_access_rule,
    may_create_room,
    may_export_into,
    may_give_power,
    may_hold,
    may_remove_classification,
    parse_marking,
)
from ...policy.decision import Decision
from ...policy.invite_permission import INVITE_PERMISSION_CONFIG, may_invite
from ...policy.roles import SECURITY_OFFICER
from ...storage import Storage
from ...storage.account import GLOBAL
from ...storage.database import Connection
from ...storage.events import StoredEvent
from ..audit import Actor, AuditLog
from ..audit.actor import current_actor
from ..rooms.events import RoomWriter
from ..rooms.state_cache import StateMap
from .scheme import clearance_of, marking_from_row, row_of

ADMITTING = ("invite", "join", "knock")
CHANGE = "classification.change"
REMOVED_FIELD = "org.chancery.removed"


def room_marking(state: StateMap) -> Marking | None:
    event = state.get((CLASSIFICATION_EVENT, ""))
    return marking_of(event["content"]) if event is not None else None


def local_mxc_ids(content: dict[str, Any], server_name: str) -> list[str]:
    """Media IDs of this server's files an event's content points at (url, file, and their thumbnails)."""
    prefix = f"mxc://{server_name}/"
    found: list[str] = []
    info = content.get("info")
    holders = [content, info if isinstance(info, dict) else {}]
    for holder in holders:
        for url_key, file_key in (("url", "file"), ("thumbnail_url", "thumbnail_file")):
            encrypted = holder.get(file_key)
            for value in (holder.get(url_key), encrypted.get("url") if isinstance(encrypted, dict) else None):
                if isinstance(value, str) and value.startswith(prefix):
                    found.append(value.removeprefix(prefix))
    return found


class RoomRules:
    def __init__(
        self, storage: Storage, clock: Clock, scheme: Scheme | None, *, server_name: str, audit: AuditLog
    ) -> None:
        self.storage = storage
        self.audit = audit
        self.clock = clock
        self.scheme = scheme
        self.server_name = server_name

    # -- checks before an event is stored --------------------------------------------------------------

    async def check_invite_permission(self, writer: RoomWriter, event: dict[str, Any]) -> None:
        """Invites (every path: /invite, createRoom's list, a member state event) to someone who blocks them."""
        if event["type"] != "m.room.member" or event["content"].get("membership") != "invite":
            return
        config = await self.storage.account.get_account_data(
            event["state_key"], GLOBAL, INVITE_PERMISSION_CONFIG, writer.txn
        )
        _enforce(may_invite(config), *_membership_action(event))

    async def check_external_rules(self, writer: RoomWriter, event: dict[str, Any]) -> None:
        """External accounts: no room creation, no power, only rooms whose access rule admits them."""
        kind = event["type"]
        if kind == "m.room.create":
            creators = [event["sender"], *_strings(event["content"].get("additional_creators"))]
            for creator in creators:
                decision = may_create_room(external=await self._external(creator, writer.txn))
                _enforce(decision, "room.create", None, {"creator": creator})
        elif kind == "m.room.member" and event["content"].get("membership") in ADMITTING:
            if await self._external(event["state_key"], writer.txn):
                rule = access_rule_of(_content(writer.state, ACCESS_RULE_EVENT))
                _enforce(may_admit_external(rule), *_membership_action(event))
        elif kind == "m.room.power_levels" and event.get("state_key") == "":
            old_users = _users_levels(_content(writer.state, "m.room.power_levels"))
            for user_id, level in _users_levels(event["content"]).items():
                old_level = old_users.get(user_id, 0)
                if level > old_level:
                    external = await self._external(user_id, writer.txn)
                    decision = may_give_power(external=external, new_level=level, old_level=old_level)
                    _enforce(decision, "power_levels.change", event["room_id"], {"user_id": user_id, "level": level})
        elif kind == ACCESS_RULE_EVENT and event.get("state_key") == "":
            current = writer.state.get((ACCESS_RULE_EVENT, ""))
            if current is not None:
                old: str | None = access_rule_of(current["content"])
            else:
                # Chosen freely while the room is being made (only its creator in it), restricted after.
                members = sum(1 for (t, _k) in writer.state if t == "m.room.member")
                old = None if members <= 1 else access_rule_of(None)
            new = event["content"].get("rule")
            details = {"rule": new if isinstance(new, str) else None, "previous": old}
            _enforce(may_change_access_rule(old, new), "access_rule.change", event["room_id"], details)

    async def check_classification_rules(self, writer: RoomWriter, event: dict[str, Any]) -> None:
        """With a scheme: admission by clearance, relabelling, declassifying redactions, classified files."""
        scheme = self.scheme
        assert scheme is not None
        kind = event["type"]
        marking = room_marking(writer.state)
        if kind == "m.room.member":
            if marking is not None and event["content"].get("membership") in ADMITTING:
                _enforce(await self._may_hold(event["state_key"], marking, writer.txn), *_membership_action(event))
        elif kind == CLASSIFICATION_EVENT and event.get("state_key") == "":
            await self._check_relabel(writer, event, marking)
        elif kind == "m.room.redaction":
            current = writer.state.get((CLASSIFICATION_EVENT, ""))
            if current is not None and redacted_event_id(event) == current["event_id"]:
                officer = await self._is_officer(event["sender"], writer.txn)
                details = {"redacts": current["event_id"]}
                _enforce(may_remove_classification(security_officer=officer), CHANGE, event["room_id"], details)
        elif "state_key" not in event:
            await self._check_files(writer, event, marking)

    async def _check_relabel(self, writer: RoomWriter, event: dict[str, Any], old: Marking | None) -> None:
        scheme = self.scheme
        assert scheme is not None
        content = event["content"]
        sender = event["sender"]
        if not content:
            if old is not None:
                officer = await self._is_officer(sender, writer.txn)
                _enforce(may_remove_classification(security_officer=officer), CHANGE, event["room_id"], {"level": None})
            return
        parsed = parse_marking(scheme, content)
        if isinstance(parsed, Decision):
            raise parsed.as_error()
        sender_cleared = await self._may_hold(sender, parsed, writer.txn)
        officer = await self._is_officer(sender, writer.txn)
        decision = may_change(scheme, old, parsed, security_officer=officer, sender_cleared=sender_cleared)
        _enforce(decision, CHANGE, event["room_id"], _marking_details(parsed, old))

    async def _check_files(self, writer: RoomWriter, event: dict[str, Any], marking: Marking | None) -> None:
        """A file posted before in a classified room may only go to rooms at least as high; posted in a
        classified room, it inherits the room's marking (recorded before the event is stored: fail closed)."""
        scheme = self.scheme
        assert scheme is not None
        media_ids = local_mxc_ids(event["content"], self.server_name)
        if not media_ids:
            return
        for media_id in media_ids:
            for row in await self.storage.classification.media_markings([media_id], writer.txn):
                decision = may_export_into(scheme, marking_from_row(row), marking)
                _enforce(decision, "media.share", event["room_id"], {"media_id": media_id, "level": row.level})
        if marking is not None:
            for media_id in media_ids:
                await self.storage.classification.classify_media(
                    writer.txn, media_id, event["room_id"], row_of(marking)
                )

    # -- audit entries (inside the transaction, before the event's stream position is taken) -----------

    async def audit_classification(
        self, txn: Connection, event: dict[str, Any], replaced: dict[str, Any] | None, creating: bool
    ) -> None:
        if event.get("state_key") != "":
            return
        old = marking_of(replaced["content"]) if replaced is not None else None
        details = _marking_details(marking_of(event["content"]), old)
        await self.audit.record(txn, self._actor(event), CHANGE, event["room_id"], details=details)

    async def audit_access_rule(
        self, txn: Connection, event: dict[str, Any], replaced: dict[str, Any] | None, creating: bool
    ) -> None:
        if event.get("state_key") != "":
            return
        rule = access_rule_of(event["content"])
        previous = access_rule_of(replaced["content"]) if replaced is not None else None
        details = {"rule": rule, "previous": previous}
        await self.audit.record(txn, self._actor(event), "access_rule.change", event["room_id"], details=details)

    @staticmethod
    def _actor(event: dict[str, Any]) -> Actor:
        return current_actor() or Actor(event["sender"], via="server")

    # -- after an event is stored ---------------------------------------------------------------------

    async def after_append(self, writer: RoomWriter, stored: StoredEvent) -> None:
        """Keep the room's marking row with its state; remove the members a raise excludes, in this step."""
        event = stored.event
        kind = event["type"]
        if kind == CLASSIFICATION_EVENT and event.get("state_key") == "":
            marking = marking_of(event["content"])
        elif kind == "m.room.redaction" and (CLASSIFICATION_EVENT, "") in writer.state:
            if writer.state[(CLASSIFICATION_EVENT, "")]["content"]:
                return
            marking = None
        else:
            return
        room_id = event["room_id"]
        await self.storage.classification.set_room_marking(writer.txn, room_id, row_of(marking) if marking else None)
        if marking is not None:
            await self.remove_uncleared(writer, marking)

    async def remove_uncleared(self, writer: RoomWriter, marking: Marking) -> list[str]:
        """Append a leave (with the reason) for every member, invitee and knocker not cleared for `marking`."""
        removed = []
        members = [
            (user_id, event["content"].get("membership"))
            for (kind, user_id), event in writer.state.items()
            if kind == "m.room.member"
        ]
        for user_id, membership in members:
            if membership not in ADMITTING:
                continue
            decision = await self._may_hold(user_id, marking, writer.txn)
            if decision.allowed:
                continue
            content = {
                "membership": "leave",
                "reason": f"Removed by the server: {decision.message}",
                REMOVED_FIELD: decision.reason,
            }
            await writer.append(EventDraft("m.room.member", user_id, content, user_id))
            removed.append(user_id)
        return removed

    # -- facts ---------------------------------------------------------------------------------------

    async def _may_hold(self, user_id: str, marking: Marking, conn: Connection) -> Decision:
        assert self.scheme is not None
        clearance = clearance_of(await self.storage.classification.clearance(user_id, conn, for_share=True))
        return may_hold(self.scheme, clearance, marking, self.clock.now_ms())

    async def _external(self, user_id: str, conn: Connection) -> bool:
        return await self.storage.roles.is_external(user_id, conn)

    async def _is_officer(self, user_id: str, conn: Connection) -> bool:
        return SECURITY_OFFICER in await self.storage.roles.roles_of(user_id, conn)


def _enforce(decision: Decision, action: str, target: str | None, details: dict[str, Any]) -> None:
    if not decision.allowed:
        raise decision.as_denial(action, target, details)


def _membership_action(event: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """(action, target, details) of an admitting membership event, for the audit of its refusal."""
    membership = event["content"]["membership"]
    return f"membership.{membership}", event["room_id"], {"user_id": event["state_key"], "sender": event["sender"]}


def _marking_details(new: Marking | None, old: Marking | None) -> dict[str, Any]:
    def as_json(marking: Marking | None) -> dict[str, Any] | None:
        return None if marking is None else {"level": marking.level, "caveats": sorted(marking.caveats)}

    return {"classification": as_json(new), "previous": as_json(old)}


def _content(state: StateMap, kind: str) -> dict[str, Any] | None:
    event = state.get((kind, ""))
    return event["content"] if event is not None else None


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _users_levels(content: dict[str, Any] | None) -> dict[str, int]:
    users = (content or {}).get("users")
    if not isinstance(users, dict):
        return {}
    return {u: v for u, v in users.items() if isinstance(u, str) and isinstance(v, int) and not isinstance(v, bool)}
