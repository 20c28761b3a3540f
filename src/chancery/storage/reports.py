"""Content reports (client-server API: reporting content): what was reported, by whom, and why."""

from __future__ import annotations

from dataclasses import dataclass

from .database import Connection, Database


@dataclass(frozen=True)
class NewReport:
    """One report. An event report names room and event; a room report the room; a user report the user."""

    received_ts: int
    reporter: str
    reason: str | None
    room_id: str | None = None
    event_id: str | None = None
    target_user_id: str | None = None
    score: int | None = None


class ReportStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, txn: Connection, report: NewReport) -> None:
        await txn.execute(
            "INSERT INTO content_reports (received_ts, room_id, event_id, user_id, target_user_id, reason, score)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            report.received_ts,
            report.room_id,
            report.event_id,
            report.reporter,
            report.target_user_id,
            report.reason,
            report.score,
        )
