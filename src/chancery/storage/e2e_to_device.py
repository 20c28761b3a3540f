"""To-device messages: queued per device at a stream position until the device acknowledges them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from .database import Connection, Database
from .stream import next_position


@dataclass(frozen=True)
class ToDeviceMessage:
    pos: int
    sender: str
    type: str
    content: dict[str, Any]


class ToDeviceStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def claim_txn(
        self, txn: Connection, user_id: str, device_id: str, txn_id: str, now: int, forget_before: int
    ) -> bool:
        """Record the transaction ID; False if it was seen before (the send already happened). The device's
        transaction IDs recorded before `forget_before` are dropped: retries come within minutes, and
        without this the table would keep a row for every send ever made."""
        await txn.execute(
            "DELETE FROM e2e_to_device_txns WHERE user_id = ? AND device_id = ? AND created_ts < ?",
            user_id,
            device_id,
            forget_before,
        )
        claimed = await txn.fetchval(
            "INSERT INTO e2e_to_device_txns (user_id, device_id, txn_id, created_ts) VALUES (?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING RETURNING txn_id",
            user_id,
            device_id,
            txn_id,
            now,
        )
        return claimed is not None

    async def enqueue(
        self, txn: Connection, sender: str, event_type: str, messages: list[tuple[str, str, dict[str, Any]]]
    ) -> int:
        """Queue (user_id, device_id, content) rows at one new stream position; return it."""
        pos = await next_position(txn)
        await txn.executemany(
            "INSERT INTO e2e_to_device (user_id, device_id, stream_pos, sender, type, content)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                (user_id, device_id, pos, sender, event_type, orjson.dumps(content).decode())
                for user_id, device_id, content in messages
            ],
        )
        return pos

    async def acknowledge(self, user_id: str, device_id: str, since: int) -> None:
        """The device synced from token `since`: drop what the response carrying that token delivered."""
        recorded = await self.db.fetchval(
            "SELECT delivered_upto FROM e2e_to_device_acks WHERE user_id = ? AND device_id = ? AND token_pos = ?",
            user_id,
            device_id,
            since,
        )
        upto = since if recorded is None else min(since, int(recorded))
        # Reads first: most syncs have nothing to acknowledge and should not cost a write transaction.
        delivered = await self.db.fetchval(
            "SELECT 1 FROM e2e_to_device WHERE user_id = ? AND device_id = ? AND stream_pos <= ? LIMIT 1",
            user_id,
            device_id,
            upto,
        )
        superseded = await self.db.fetchval(
            "SELECT 1 FROM e2e_to_device_acks WHERE user_id = ? AND device_id = ? AND token_pos < ? LIMIT 1",
            user_id,
            device_id,
            since,
        )
        if delivered is None and superseded is None:
            return
        async with self.db.transaction() as txn:
            await txn.execute(
                "DELETE FROM e2e_to_device WHERE user_id = ? AND device_id = ? AND stream_pos <= ?",
                user_id,
                device_id,
                upto,
            )
            # Older tokens are superseded; the one in use stays so a retried request acknowledges the same.
            await txn.execute(
                "DELETE FROM e2e_to_device_acks WHERE user_id = ? AND device_id = ? AND token_pos < ?",
                user_id,
                device_id,
                since,
            )

    async def pending(self, user_id: str, device_id: str, upto: int, limit: int) -> list[ToDeviceMessage]:
        rows = await self.db.fetchall(
            "SELECT stream_pos, sender, type, content FROM e2e_to_device WHERE user_id = ? AND device_id = ?"
            " AND stream_pos <= ? ORDER BY stream_pos LIMIT ?",
            user_id,
            device_id,
            upto,
            limit,
        )
        return [ToDeviceMessage(int(r[0]), str(r[1]), str(r[2]), dict(orjson.loads(r[3]))) for r in rows]

    async def record_partial_delivery(self, user_id: str, device_id: str, token_pos: int, delivered_upto: int) -> int:
        """A response with next_batch `token_pos` carried messages only up to `delivered_upto`.

        The stream also moves on by one position, so that no later response carries the same token with a
        different set of messages: a token then always names exactly one delivered batch. Returns that
        new position (for the caller to announce).
        """
        async with self.db.transaction() as txn:
            await txn.execute(
                "INSERT INTO e2e_to_device_acks (user_id, device_id, token_pos, delivered_upto) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (user_id, device_id, token_pos) DO UPDATE SET delivered_upto = excluded.delivered_upto",
                user_id,
                device_id,
                token_pos,
                delivered_upto,
            )
            return await next_position(txn)

    async def delete_for_devices(self, txn: Connection, user_id: str, device_ids: list[str]) -> None:
        for device_id in device_ids:
            for table in ("e2e_to_device", "e2e_to_device_acks", "e2e_to_device_txns"):
                await txn.execute(f"DELETE FROM {table} WHERE user_id = ? AND device_id = ?", user_id, device_id)
