"""Event reports through the Synapse-compatible admin API (list, read, delete)."""

from __future__ import annotations

from typing import Any

import orjson

from ...errors import not_found
from ...storage.admin_rooms import AdminRoomStore
from ...storage.content_reports import ContentReportStore, EventReport
from ...storage.database import Database
from ..accounts.requester import Requester
from .audit import AdminAudit
from .shapes import page


class ReportAdminService:
    def __init__(
        self,
        db: Database,
        store: ContentReportStore,
        rooms: AdminRoomStore,
        audit: AdminAudit,
    ) -> None:
        self.db = db
        self.store = store
        self.rooms = rooms
        self.audit = audit

    async def list(
        self, offset: int, limit: int, descending: bool, user_id: str | None, room_id: str | None
    ) -> dict[str, Any]:
        reports, total = await self.store.event_reports(offset, limit, descending, user_id, room_id)
        rooms = {r.room_id: await self._room_names(r.room_id) for r in reports}
        return {"event_reports": [self._json(r, rooms[r.room_id]) for r in reports], **page(reports, offset, total)}

    async def get(self, report_id: int) -> dict[str, Any]:
        report = await self.store.event_report(report_id)
        if report is None:
            raise not_found("Event report not found")
        body = self._json(report, await self._room_names(report.room_id))
        body["event_json"] = None if report.event_json is None else orjson.loads(report.event_json)
        return body

    async def delete(self, admin: Requester, report_id: int) -> None:
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
