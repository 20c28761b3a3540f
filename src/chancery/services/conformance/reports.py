"""Reporting content (client-server API: reporting content): events, rooms and users reported to the
server's administrators.

A report about something the reporter cannot see is answered exactly like one about something that does not
exist (404), so reports cannot be used to learn which events, rooms or accounts exist."""

from __future__ import annotations

from ...clock import Clock
from ...errors import MatrixError, invalid_param, not_found
from ...events.identifiers import is_valid_user_id
from ...storage import Storage
from ...storage.reports import NewReport
from ..accounts.profile import ProfileService
from ..accounts.requester import Requester
from ..audit import Actor, AuditLog
from ..rooms.visibility import VisibilityService

# The removed `score` parameter (Matrix 1.18), still sent by older clients: -100 (most offensive) to 0.
SCORE_RANGE = range(-100, 1)


class ReportService:
    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        visibility: VisibilityService,
        profiles: ProfileService,
        audit: AuditLog,
    ) -> None:
        self.storage = storage
        self.audit = audit
        self.clock = clock
        self.visibility = visibility
        self.profiles = profiles

    async def report_event(
        self, requester: Requester, room_id: str, event_id: str, reason: str | None, score: int | None
    ) -> None:
        """The reporter must be joined to the room and allowed to see the event."""
        if score is not None and score not in SCORE_RANGE:
            raise invalid_param("score must be between -100 and 0")
        hidden = not_found("Event not found, or you are not joined to its room")
        if await self.storage.rooms.membership(room_id, requester.user_id) != "join":
            raise hidden
        stored = await self.storage.events.get_event(event_id)
        if stored is None or stored.event["room_id"] != room_id:
            raise hidden
        if not await self.visibility.filter_visible(requester.user_id, room_id, [stored]):
            raise hidden
        await self._add(requester, reason, "report.event", event_id, room_id=room_id, event_id=event_id, score=score)

    async def report_room(self, requester: Requester, room_id: str, reason: str | None) -> None:
        """Any room the reporter knows of: one they are or were in, were invited to or knocked on, one
        published in the directory, or a world-readable one."""
        if not await self._knows_room(requester.user_id, room_id):
            raise not_found("Room not found")
        await self._add(requester, reason, "report.room", room_id, room_id=room_id)

    async def report_user(self, requester: Requester, user_id: str, reason: str | None) -> None:
        """Any account of this server whose profile the reporter may read."""
        hidden = not_found("User not found")
        if not is_valid_user_id(user_id):
            raise hidden
        try:
            await self.profiles.check_profile_access(requester, user_id)
        except MatrixError:
            raise hidden from None
        if not await self.storage.users.user_exists(user_id):
            raise hidden
        await self._add(requester, reason, "report.user", user_id, target_user_id=user_id)

    async def _knows_room(self, user_id: str, room_id: str) -> bool:
        room = await self.storage.rooms.get_room(room_id)
        if room is None:
            return False
        if room.is_public or await self.storage.rooms.membership(room_id, user_id) is not None:
            return True
        allowed, _ = await self.visibility.can_see_room_state(user_id, room_id)
        return allowed

    async def _add(
        self,
        requester: Requester,
        reason: str | None,
        action: str,
        target: str,
        *,
        room_id: str | None = None,
        event_id: str | None = None,
        target_user_id: str | None = None,
        score: int | None = None,
    ) -> None:
        """Store the report and audit it (without its reason, the reporter's own words) in one transaction."""
        details = {"room_id": room_id} if event_id is not None else None
        async with self.storage.db.transaction() as txn:
            await self.audit.record(txn, Actor.of(requester), action, target, details=details)
            await self.storage.reports.add(
                txn,
                NewReport(
                    received_ts=self.clock.now_ms(),
                    reporter=requester.user_id,
                    reason=reason,
                    room_id=room_id,
                    event_id=event_id,
                    target_user_id=target_user_id,
                    score=score,
                ),
            )
