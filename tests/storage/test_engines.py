"""The database engines keep the same promises: atomic transactions, isolation of a failed one, and
stream positions that become visible in order."""

from __future__ import annotations

import asyncio

from chancery.storage.database import Database
from chancery.storage.migrations import apply_migrations
from chancery.storage.stream import current_position, next_position


async def test_migrations_are_idempotent(db: Database) -> None:
    version = await apply_migrations(db)
    assert version == await apply_migrations(db)


async def test_failed_transaction_leaves_no_trace_and_spares_its_neighbours(db: Database) -> None:
    async def write(name: str, fail: bool) -> None:
        async with db.transaction() as txn:
            await txn.execute("INSERT INTO filters (user_id, filter_id, json) VALUES (?, 0, '{}')", name)
            if fail:
                raise RuntimeError("body failed")

    results = await asyncio.gather(*(write(f"@u{i}:x", fail=i % 3 == 0) for i in range(30)), return_exceptions=True)
    failed = {f"@u{i}:x" for i, r in enumerate(results) if isinstance(r, Exception)}
    assert failed == {f"@u{i}:x" for i in range(0, 30, 3)}
    stored = {str(r[0]) for r in await db.fetchall("SELECT user_id FROM filters")}
    assert stored == {f"@u{i}:x" for i in range(30)} - failed


async def test_concurrent_positions_are_unique_and_visible_in_order(db: Database) -> None:
    seen: list[int] = []

    async def writer() -> None:
        for _ in range(20):
            async with db.transaction() as txn:
                seen.append(await next_position(txn))

    async def reader() -> list[int]:
        observed = []
        for _ in range(50):
            observed.append(await current_position(db))
            await asyncio.sleep(0)
        return observed

    _, _, _, observed = await asyncio.gather(writer(), writer(), writer(), reader())
    assert sorted(seen) == list(range(1, 61))
    assert observed == sorted(observed)
    assert await current_position(db) == 60


async def test_to_device_transaction_ids_are_recognised_then_forgotten(db: Database) -> None:
    from chancery.storage.e2e_to_device import ToDeviceStore

    store = ToDeviceStore(db)
    day = 24 * 3600 * 1000

    async def claim(txn_id: str, now: int, device: str = "D1") -> bool:
        async with db.transaction() as txn:
            return await store.claim_txn(txn, "@u:example.org", device, txn_id, now, now - 7 * day)

    assert await claim("t1", 1 * day)
    assert not await claim("t1", 2 * day)  # a retry
    assert await claim("t1", 2 * day, device="D2")  # another device's own ID
    assert await claim("t2", 9 * day)  # a week later: t1 of D1 is forgotten ...
    assert await claim("t1", 9 * day)  # ... so the ID is new again
    rows = await db.fetchall("SELECT device_id, txn_id FROM e2e_to_device_txns ORDER BY device_id, txn_id")
    assert [tuple(r) for r in rows] == [("D1", "t1"), ("D1", "t2"), ("D2", "t1")]  # D1's sends spare D2's IDs
