"""Media metadata: which mxc:// IDs exist, who uploaded them, and which content file holds their bytes."""

from __future__ import annotations

from dataclasses import dataclass

from .database import Connection, Database, Row

_FIELDS = "media_id, uploader, content_type, size, sha256, upload_name, created_ts, uploaded_ts, expires_ts"
_COLUMNS = _FIELDS + ", quarantined"
# The same, with `quarantined` true when the bytes are quarantined under any media ID (quarantine applies
# to the content: the same file uploaded again under a new ID is not served either).
_COLUMNS_CONTENT_QUARANTINE = (
    _FIELDS + ", CASE WHEN quarantined = 1 OR EXISTS (SELECT 1 FROM media q WHERE q.sha256 = media.sha256"
    " AND q.quarantined = 1) THEN 1 ELSE 0 END"
)


@dataclass(frozen=True)
class MediaRecord:
    media_id: str
    uploader: str
    content_type: str | None
    size: int | None
    sha256: str | None
    upload_name: str | None
    created_ts: int
    uploaded_ts: int | None
    expires_ts: int | None
    quarantined: bool

    @property
    def is_uploaded(self) -> bool:
        return self.uploaded_ts is not None and self.sha256 is not None


def _record(row: Row) -> MediaRecord:
    return MediaRecord(
        media_id=str(row[0]),
        uploader=str(row[1]),
        content_type=None if row[2] is None else str(row[2]),
        size=None if row[3] is None else int(row[3]),
        sha256=None if row[4] is None else str(row[4]),
        upload_name=None if row[5] is None else str(row[5]),
        created_ts=int(row[6]),
        uploaded_ts=None if row[7] is None else int(row[7]),
        expires_ts=None if row[8] is None else int(row[8]),
        quarantined=bool(row[9]),
    )


@dataclass(frozen=True)
class UploadedContent:
    sha256: str
    size: int
    content_type: str
    upload_name: str | None


class MediaStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, media_id: str) -> MediaRecord | None:
        """The media row; `quarantined` also when its content is quarantined under any other media ID."""
        row = await self.db.fetchone(f"SELECT {_COLUMNS_CONTENT_QUARANTINE} FROM media WHERE media_id = ?", media_id)
        return None if row is None else _record(row)

    async def content_quarantined(self, sha256: str) -> bool:
        """Whether these bytes are quarantined under some media ID."""
        found = await self.db.fetchval("SELECT 1 FROM media WHERE sha256 = ? AND quarantined = 1 LIMIT 1", sha256)
        return found is not None

    async def usage_of(self, user_id: str) -> int:
        """Bytes a user's uploads take up, the quota's measure (deduplicated files still count per upload)."""
        value = await self.db.fetchval("SELECT SUM(size) FROM media WHERE uploader = ? AND size IS NOT NULL", user_id)
        return int(value or 0)

    async def count_pending(self, user_id: str, now_ms: int) -> int:
        value = await self.db.fetchval(
            "SELECT COUNT(*) FROM media WHERE uploader = ? AND uploaded_ts IS NULL AND expires_ts > ?",
            user_id,
            now_ms,
        )
        return int(value or 0)

    async def insert_uploaded(
        self, txn: Connection, media_id: str, uploader: str, content: UploadedContent, now_ms: int
    ) -> None:
        await txn.execute(
            "INSERT INTO media (media_id, uploader, content_type, size, sha256, upload_name, created_ts,"
            " uploaded_ts, expires_ts, quarantined) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, 0)",
            media_id,
            uploader,
            content.content_type,
            content.size,
            content.sha256,
            content.upload_name,
            now_ms,
            now_ms,
        )

    async def insert_pending(self, media_id: str, uploader: str, now_ms: int, expires_ts: int) -> None:
        async with self.db.transaction() as txn:
            await txn.execute(
                "INSERT INTO media (media_id, uploader, created_ts, expires_ts, quarantined) VALUES (?, ?, ?, ?, 0)",
                media_id,
                uploader,
                now_ms,
                expires_ts,
            )

    async def complete_pending(
        self, txn: Connection, media_id: str, uploader: str, content: UploadedContent, now_ms: int
    ) -> bool:
        """Fill in a pending ID's content; False if someone else completed it first (or it expired)."""
        done = await txn.fetchval(
            "UPDATE media SET content_type = ?, size = ?, sha256 = ?, upload_name = ?, uploaded_ts = ?,"
            " expires_ts = NULL WHERE media_id = ? AND uploader = ? AND uploaded_ts IS NULL AND expires_ts > ?"
            " RETURNING media_id",
            content.content_type,
            content.size,
            content.sha256,
            content.upload_name,
            now_ms,
            media_id,
            uploader,
            now_ms,
        )
        return done is not None

    async def set_quarantined(self, txn: Connection, media_id: str, by_user: str) -> bool:
        done = await txn.fetchval(
            "UPDATE media SET quarantined = 1, quarantined_by = ? WHERE media_id = ? RETURNING media_id",
            by_user,
            media_id,
        )
        return done is not None

    async def delete_older_than(self, txn: Connection, cutoff_ms: int, now_ms: int) -> list[MediaRecord]:
        """Delete media created before the cutoff and pending IDs that expired; return what was deleted."""
        rows = await txn.fetchall(
            f"SELECT {_COLUMNS} FROM media WHERE created_ts < ? OR (uploaded_ts IS NULL AND expires_ts <= ?)",
            cutoff_ms,
            now_ms,
        )
        await txn.execute(
            "DELETE FROM media WHERE created_ts < ? OR (uploaded_ts IS NULL AND expires_ts <= ?)",
            cutoff_ms,
            now_ms,
        )
        return [_record(row) for row in rows]

    async def is_content_referenced(self, sha256: str) -> bool:
        return await self.db.fetchval("SELECT 1 FROM media WHERE sha256 = ? LIMIT 1", sha256) is not None
