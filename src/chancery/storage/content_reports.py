"""Reports of events as administrators read them (storage/reports.py writes them: client-server API,
reporting content)."""

from __future__ import annotations

from dataclasses import dataclass

from .database import Connection, Database, Row

_SELECT = (
    "SELECT r.id, r.received_ts, r.room_id, r.event_id, r.user_id, r.reason, r.score, e.sender, e.json"
    " FROM content_reports r LEFT JOIN events e ON e.event_id = r.event_id"
)


@dataclass(frozen=True)
class EventReport:
    id: int
    received_ts: int
    room_id: str
    event_id: str
    user_id: str
    reason: str | None
    score: int | None
    sender: str | None
    event_json: str | None


def _report(row: Row) -> EventReport:
    return EventReport(int(row[0]), int(row[1]), str(row[2]), str(row[3]), str(row[4]), row[5], row[6], row[7], row[8])


class ContentReportStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def event_reports(
        self, offset: int, limit: int, descending: bool, user_id: str | None, room_id: str | None
    ) -> tuple[list[EventReport], int]:
        where = " WHERE r.event_id IS NOT NULL"
        args: list[object] = []
        for column, value in (("r.user_id", user_id), ("r.room_id", room_id)):
            if value is not None:
                where += f" AND {column} = ?"
                args.append(value)
        direction = "DESC" if descending else "ASC"
        rows = await self.db.fetchall(
            f"{_SELECT}{where} ORDER BY r.received_ts {direction}, r.id {direction} LIMIT ? OFFSET ?",
            *args,
            limit,
            offset,
        )
        total = await self.db.fetchval(f"SELECT COUNT(*) FROM content_reports r{where}", *args)
        return [_report(r) for r in rows], int(total)

    async def event_report(self, report_id: int) -> EventReport | None:
        row = await self.db.fetchone(f"{_SELECT} WHERE r.id = ? AND r.event_id IS NOT NULL", report_id)
        return None if row is None else _report(row)

    async def delete(self, txn: Connection, report_id: int) -> bool:
        deleted = await txn.fetchval(
            "DELETE FROM content_reports WHERE id = ? AND event_id IS NOT NULL RETURNING id", report_id
        )
        return deleted is not None
