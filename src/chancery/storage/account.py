"""Per-user data: account data (global and per room), filters and push rules."""

from __future__ import annotations

from typing import Any

import orjson

from .database import Connection, Database
from .stream import next_position

GLOBAL = ""  # room_id of global account data


class AccountStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def put_account_data(self, user_id: str, room_id: str, data_type: str, content: dict[str, Any]) -> int:
        async with self.db.transaction() as txn:
            return await self.put_account_data_in(txn, user_id, room_id, data_type, content)

    async def put_account_data_in(
        self, txn: Connection, user_id: str, room_id: str, data_type: str, content: dict[str, Any]
    ) -> int:
        pos = await next_position(txn)
        await txn.execute(
            "INSERT INTO account_data (user_id, room_id, type, content, stream_pos) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (user_id, room_id, type) DO UPDATE SET content = excluded.content,"
            " stream_pos = excluded.stream_pos",
            user_id,
            room_id,
            data_type,
            orjson.dumps(content).decode(),
            pos,
        )
        return pos

    async def get_account_data(
        self, user_id: str, room_id: str, data_type: str, conn: Connection | None = None
    ) -> dict[str, Any] | None:
        value = await (conn or self.db).fetchval(
            "SELECT content FROM account_data WHERE user_id = ? AND room_id = ? AND type = ?",
            user_id,
            room_id,
            data_type,
        )
        return None if value is None else dict(orjson.loads(value))

    async def account_data_since(self, user_id: str, after: int, upto: int) -> dict[str, dict[str, dict[str, Any]]]:
        """room_id ('' for global) -> type -> content, for changes in (after, upto]."""
        rows = await self.db.fetchall(
            "SELECT room_id, type, content FROM account_data WHERE user_id = ? AND stream_pos > ? AND stream_pos <= ?",
            user_id,
            after,
            upto,
        )
        result: dict[str, dict[str, dict[str, Any]]] = {}
        for room_id, data_type, content in rows:
            result.setdefault(str(room_id), {})[str(data_type)] = orjson.loads(content)
        return result

    async def delete_all_for_user(self, txn: Connection, user_id: str) -> None:
        await txn.execute("DELETE FROM account_data WHERE user_id = ?", user_id)
        await txn.execute("DELETE FROM filters WHERE user_id = ?", user_id)
        await txn.execute("DELETE FROM push_rules WHERE user_id = ?", user_id)

    # -- filters ------------------------------------------------------------------------------------

    async def add_filter(self, user_id: str, definition: dict[str, Any]) -> int:
        async with self.db.transaction() as txn:
            current = await txn.fetchval("SELECT MAX(filter_id) FROM filters WHERE user_id = ?", user_id)
            filter_id = 0 if current is None else int(current) + 1
            await txn.execute(
                "INSERT INTO filters (user_id, filter_id, json) VALUES (?, ?, ?)",
                user_id,
                filter_id,
                orjson.dumps(definition).decode(),
            )
        return filter_id

    async def get_filter(self, user_id: str, filter_id: int) -> dict[str, Any] | None:
        value = await self.db.fetchval(
            "SELECT json FROM filters WHERE user_id = ? AND filter_id = ?", user_id, filter_id
        )
        return None if value is None else dict(orjson.loads(value))

    # -- push rules ---------------------------------------------------------------------------------

    async def get_push_rules(self, user_id: str) -> dict[str, Any] | None:
        value = await self.db.fetchval("SELECT json FROM push_rules WHERE user_id = ?", user_id)
        return None if value is None else dict(orjson.loads(value))

    async def put_push_rules(self, txn: Connection, user_id: str, rules: dict[str, Any]) -> None:
        await txn.execute(
            "INSERT INTO push_rules (user_id, json) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET"
            " json = excluded.json",
            user_id,
            orjson.dumps(rules).decode(),
        )
