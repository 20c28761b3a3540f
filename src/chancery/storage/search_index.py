"""Writing the full-text search index (storage/search.py reads it), called where events are stored and
redacted. Kept apart from the reads so the event store can use it without an import cycle."""

from __future__ import annotations

from typing import Any

from ..events.search_text import searchable_text
from .database import Connection

# PostgreSQL's one-statement send (EventStore.append_if_latest) indexes the event in the same statement, as
# one more step of its WITH clause; `event` is the step that inserted the event. Parameters: key, text, key.
PG_INDEX_STEP = (
    " search AS (INSERT INTO event_search (stream_pos, key, vector)"
    " SELECT event.stream_pos, ?, to_tsvector('simple', ?) FROM event WHERE CAST(? AS TEXT) IS NOT NULL)"
)


def pg_index_args(event: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    found = searchable_text(event)
    key, text = found if found is not None else (None, None)
    return key, text, key


async def index_event(txn: Connection, pos: int, event: dict[str, Any]) -> None:
    """Index the event stored at `pos` if search covers it (inside the transaction that stores it)."""
    found = searchable_text(event)
    if found is None:
        return
    key, text = found
    if txn.dialect == "postgres":
        await txn.execute(
            "INSERT INTO event_search (stream_pos, key, vector) VALUES (?, ?, to_tsvector('simple', ?))", pos, key, text
        )
    else:
        await txn.execute("INSERT INTO event_search (rowid, text, key) VALUES (?, ?, ?)", pos, text, key)


async def unindex_event(txn: Connection, event_id: str) -> None:
    """A redacted event is no longer found."""
    column = "stream_pos" if txn.dialect == "postgres" else "rowid"
    await txn.execute(
        f"DELETE FROM event_search WHERE {column} = (SELECT stream_pos FROM events WHERE event_id = ?)", event_id
    )
