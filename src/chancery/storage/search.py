"""The full-text search index over event bodies, room names and topics: one interface, each engine's own
facility (SQLite FTS5, PostgreSQL tsvector with a GIN index). Rows are keyed by the event's stream position;
they are written with the event and removed when it is redacted."""

from __future__ import annotations

from typing import Any, Literal

from ..events.search_text import searchable_text
from .database import IN_LIST_CHUNK, Database
from .events import StoredEvent, row_to_event
from .search_index import index_event

Order = Literal["rank", "recent"]


def _match_query(dialect: str, words: list[str]) -> str:
    """Every word as a prefix, all required. The words are letters and digits only (search_words)."""
    if dialect == "postgres":
        return " & ".join(f"'{word}':*" for word in words)
    return " ".join(f'"{word}"*' for word in words)


class SearchStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def search(
        self,
        words: list[str],
        room_ids: list[str],
        keys: list[str],
        order: Order,
        *,
        before: int | None,
        limit: int,
    ) -> list[tuple[StoredEvent, float]]:
        """Up to `limit` matching events of `room_ids` (with positions below `before`), best or newest first,
        with their rank (higher: more relevant)."""
        if not words or not room_ids or not keys:
            return []
        query = _match_query(self.db.dialect, words)
        found: list[tuple[StoredEvent, float]] = []
        for start in range(0, len(room_ids), IN_LIST_CHUNK):
            chunk = room_ids[start : start + IN_LIST_CHUNK]
            sql, args = self._statement(query, chunk, keys, order, before, limit)
            for row in await self.db.fetchall(sql, *args):
                found.append((row_to_event((row[0], row[1], row[2])), float(row[3])))
        if order == "rank":
            found.sort(key=lambda item: (-item[1], -item[0].pos))
        else:
            found.sort(key=lambda item: -item[0].pos)
        return found[:limit]

    def _statement(
        self, query: str, room_ids: list[str], keys: list[str], order: Order, before: int | None, limit: int
    ) -> tuple[str, list[Any]]:
        rooms = ",".join("?" * len(room_ids))
        key_marks = ",".join("?" * len(keys))
        below = before if before is not None else 2**62
        if self.db.dialect == "postgres":
            ordering = "rank DESC, s.stream_pos DESC" if order == "rank" else "s.stream_pos DESC"
            sql = (
                "SELECT e.stream_pos, e.json, e.redacted, ts_rank(s.vector, q.query) AS rank"
                " FROM event_search s CROSS JOIN to_tsquery('simple', ?) AS q(query)"
                " JOIN events e ON e.stream_pos = s.stream_pos"
                f" WHERE s.vector @@ q.query AND s.key IN ({key_marks}) AND e.room_id IN ({rooms})"
                f" AND s.stream_pos < ? ORDER BY {ordering} LIMIT ?"
            )
        else:
            ordering = "rank DESC, event_search.rowid DESC" if order == "rank" else "event_search.rowid DESC"
            sql = (
                "SELECT e.stream_pos, e.json, e.redacted, -bm25(event_search) AS rank"
                " FROM event_search JOIN events e ON e.stream_pos = event_search.rowid"
                f" WHERE event_search MATCH ? AND event_search.key IN ({key_marks}) AND e.room_id IN ({rooms})"
                f" AND event_search.rowid < ? ORDER BY {ordering} LIMIT ?"
            )
        return sql, [query, *keys, *room_ids, below, limit]

    async def rebuild(self, batch: int = 1000) -> int:
        """Index every event anew (after `chancery port-db`, which moves events but not the engine-specific
        index); return how many were indexed."""
        indexed = 0
        after = -1
        async with self.db.transaction() as txn:
            await txn.execute("DELETE FROM event_search")
        while True:
            rows = await self.db.fetchall(
                "SELECT stream_pos, json, redacted FROM events WHERE stream_pos > ? AND redacted = 0"
                " AND type IN ('m.room.message', 'm.room.name', 'm.room.topic') ORDER BY stream_pos LIMIT ?",
                after,
                batch,
            )
            if not rows:
                return indexed
            async with self.db.transaction() as txn:
                for row in rows:
                    stored = row_to_event(row)
                    if searchable_text(stored.event) is not None:
                        await index_event(txn, stored.pos, stored.event)
                        indexed += 1
            after = int(rows[-1][0])
