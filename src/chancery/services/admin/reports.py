"""Event reports through the Synapse-compatible admin API (list, read, delete)."""

from __future__ import annotations

from typing import Any

import orjson

from ...errors import not_found
from ...storage.admin_rooms import AdminRoomStore
from ...storage.admin_users import AdminUserStore
from ...storage.content_reports import ContentReportStore, EventReport
from ...storage.database import Database
from ..accounts.requester import Requester
from .audit import AdminAudit
from .shapes import page

TABLE = "content_reports"


class ReportAdminService:
    def __init__(
        self,
        db: Database,
        store: ContentReportStore,
        rooms: AdminRoomStore,
        users: AdminUserStore,
        audit: AdminAudit,
    ) -> None:
        self.db = db
        self.store = store
        self.rooms = rooms
        self.users = users
        self.audit = audit

    async def _available(self) -> bool:
        """Whether content reporting is installed (its table exists)."""
        return await self.users.table_exists(TABLE)

    async def list(
        self, offset: int, limit: int, descending: bool, user_id: str | None, room_id: str | None
    ) -> dict[str, Any]:
        if not await self._available():
            return {"event_reports": [], "total": 0}
        reports, total = await self.store.event_reports(offset, limit, descending, user_id, room_id)
        rooms = {r.room_id: await self._room_names(r.room_id) for r in reports}
        return {"event_reports": [self._json(r, rooms[r.room_id]) for r in reports], **page(reports, offset, total)}

    async def get(self, report_id: int) -> dict[str, Any]:
        report = await self.store.event_report(report_id) if await self._available() else None
        if report is None:
            raise not_found("Event report not found")
        body = self._json(report, await self._room_names(report.room_id))
        body["event_json"] = None if report.event_json is None else orjson.loads(report.event_json)
        return body

    async def delete(self, admin: Requester, report_id: int) -> None:
        if not await self._available():
            raise not_found("Event report not found")
        async with self.db.transaction() as txn:
            if not await self.store.delete(txn, report_id):
                raise not_found("Event report not found")
            await self.audit.record(txn, admin, "report.delete", str(report_id))

    async def _room_names(self, room_id: str) -> tuple[str | None, str | None]:
        facts = await self.rooms.room_facts(room_id)
        if not facts:
            return None, None
        state = facts[0].state
        name = state.get("m.room.name", {}).get("name")
        alias = state.get("m.room.canonical_alias", {}).get("alias")
        return (name if isinstance(name, str) else None, alias if isinstance(alias, str) else None)

    @staticmethod
    def _json(report: EventReport, names: tuple[str | None, str | None]) -> dict[str, Any]:
        return {
            "id": report.id,
            "received_ts": report.received_ts,
            "room_id": report.room_id,
            "name": names[0],
            "canonical_alias": names[1],
            "event_id": report.event_id,
            "user_id": report.user_id,
            "sender": report.sender,
            "reason": report.reason,
            "score": report.score,
        }
