"""Media as administrators see and manage it: per-uploader listing, protection, quarantine and deletion."""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from .database import Connection, Database, Row, fetch_in
from .users import _like_pattern as like_pattern

MEDIA_ORDER_COLUMNS = {
    "media_id": "media_id",
    "upload_name": "COALESCE(upload_name, '')",
    "created_ts": "created_ts",
    "last_access_ts": "created_ts",  # access times are not tracked: creation is the last known use
    "media_length": "COALESCE(size, 0)",
    "media_type": "COALESCE(content_type, '')",
    "quarantined_by": "COALESCE(quarantined_by, '')",
    "safe_from_quarantine": "safe_from_quarantine",
}

USAGE_ORDER_COLUMNS = {
    "user_id": "m.uploader",
    "displayname": "COALESCE(u.displayname, '')",
    "media_count": "COUNT(*)",
    "media_length": "COALESCE(SUM(m.size), 0)",
}

_COLUMNS = "media_id, content_type, size, sha256, upload_name, created_ts, quarantined_by, safe_from_quarantine"


@dataclass(frozen=True)
class AdminMediaRow:
    media_id: str
    content_type: str | None
    size: int | None
    sha256: str | None
    upload_name: str | None
    created_ts: int
    quarantined_by: str | None
    safe_from_quarantine: bool


def _row(row: Row) -> AdminMediaRow:
    return AdminMediaRow(
        str(row[0]),
        row[1],
        None if row[2] is None else int(row[2]),
        row[3],
        row[4],
        int(row[5]),
        row[6],
        bool(row[7]),
    )


class AdminMediaStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def of_uploader(
        self, user_id: str, order_by: str, descending: bool, offset: int, limit: int
    ) -> tuple[list[AdminMediaRow], int]:
        direction = "DESC" if descending else "ASC"
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM media WHERE uploader = ?"
            f" ORDER BY {MEDIA_ORDER_COLUMNS[order_by]} {direction}, media_id {direction} LIMIT ? OFFSET ?",
            user_id,
            limit,
            offset,
        )
        total = await self.db.fetchval("SELECT COUNT(*) FROM media WHERE uploader = ?", user_id)
        return [_row(r) for r in rows], int(total)

    async def get(self, media_id: str) -> AdminMediaRow | None:
        row = await self.db.fetchone(f"SELECT {_COLUMNS} FROM media WHERE media_id = ?", media_id)
        return None if row is None else _row(row)

    async def ids_of_uploader(self, user_id: str) -> list[str]:
        return [str(r[0]) for r in await self.db.fetchall("SELECT media_id FROM media WHERE uploader = ?", user_id)]

    async def ids_before(self, before_ts: int, size_gt: int) -> list[str]:
        """Media created before `before_ts` (ms) and larger than `size_gt` bytes, except protected media and
        media uploaded by someone under legal hold."""
        rows = await self.db.fetchall(
            "SELECT media_id FROM media WHERE created_ts < ? AND COALESCE(size, 0) > ? AND safe_from_quarantine = 0"
            " AND uploader NOT IN (SELECT target FROM legal_holds WHERE kind = 'user')",
            before_ts,
            size_gt,
        )
        return [str(r[0]) for r in rows]

    async def set_quarantined(self, txn: Connection, media_id: str, by: str | None) -> None:
        await txn.execute(
            "UPDATE media SET quarantined = ?, quarantined_by = ? WHERE media_id = ?", int(by is not None), by, media_id
        )

    async def set_protected(self, txn: Connection, media_id: str, protected: bool) -> None:
        await txn.execute("UPDATE media SET safe_from_quarantine = ? WHERE media_id = ?", int(protected), media_id)

    async def held_uploaders(self, conn: Connection, media_ids: list[str]) -> list[str]:
        """Who, of those who uploaded these, is under legal hold."""
        rows = await fetch_in(
            conn,
            "SELECT DISTINCT m.uploader FROM media m JOIN legal_holds h ON h.kind = 'user' AND h.target = m.uploader"
            " WHERE m.media_id IN ({marks})",
            media_ids,
        )
        return sorted(str(r[0]) for r in rows)

    async def delete(self, txn: Connection, media_ids: list[str]) -> list[tuple[str, str | None]]:
        """Delete the rows (and who downloaded them); return (media_id, sha256) of each deleted one."""
        rows = await fetch_in(txn, "SELECT media_id, sha256 FROM media WHERE media_id IN ({marks})", media_ids)
        for start in range(0, len(media_ids), 500):
            chunk = media_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            await txn.execute(f"DELETE FROM media WHERE media_id IN ({marks})", *chunk)
            await txn.execute(f"DELETE FROM media_downloads WHERE media_id IN ({marks})", *chunk)
        return [(str(r[0]), r[1]) for r in rows]

    async def avatar_urls(self) -> list[str]:
        """Every user's avatar and every room's current avatar (mxc:// URLs)."""
        users = await self.db.fetchall("SELECT avatar_url FROM users WHERE avatar_url IS NOT NULL")
        rooms = await self.db.fetchall(
            "SELECT e.json FROM current_state c JOIN events e ON e.event_id = c.event_id"
            " WHERE c.type = 'm.room.avatar' AND c.state_key = ''"
        )
        urls = [str(r[0]) for r in users]
        for row in rooms:
            url = orjson.loads(row[0]).get("content", {}).get("url")
            if isinstance(url, str):
                urls.append(url)
        return urls

    async def usage_by_uploader(
        self, search: str | None, from_ts: int, until_ts: int, order_by: str, descending: bool, offset: int, limit: int
    ) -> tuple[list[Row], int]:
        """(user_id, displayname, media count, bytes) of each uploader with media created in [from_ts, until_ts],
        whose ID or display name contains `search`; and how many uploaders match."""
        where = " WHERE m.created_ts >= ? AND m.created_ts <= ?"
        args: list[object] = [from_ts, until_ts]
        if search:
            where += (
                " AND (LOWER(m.uploader) LIKE ? ESCAPE '\\' OR LOWER(COALESCE(u.displayname, '')) LIKE ? ESCAPE '\\')"
            )
            args += [like_pattern(search)] * 2
        grouped = (
            "SELECT m.uploader, u.displayname, COUNT(*) AS media_count, COALESCE(SUM(m.size), 0) AS media_length"
            f" FROM media m LEFT JOIN users u ON u.user_id = m.uploader{where} GROUP BY m.uploader, u.displayname"
        )
        direction = "DESC" if descending else "ASC"
        rows = await self.db.fetchall(
            f"{grouped} ORDER BY {USAGE_ORDER_COLUMNS[order_by]} {direction}, m.uploader {direction} LIMIT ? OFFSET ?",
            *args,
            limit,
            offset,
        )
        total = await self.db.fetchval(f"SELECT COUNT(*) FROM ({grouped}) uploaders", *args)
        return rows, int(total)
