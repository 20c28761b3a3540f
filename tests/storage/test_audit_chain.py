"""The audit chain on each engine: entries commit with their transaction, link without gaps under
concurrent writers, and a change made directly in SQL breaks the chain at that entry."""

from __future__ import annotations

import asyncio

import pytest

from chancery.clock import SystemClock
from chancery.config.audit import AuditConfig
from chancery.events.audit_chain import GENESIS_HASH, Entry, first_break
from chancery.events.signing import new_signing_key
from chancery.policy.decision import deny
from chancery.services.audit import Actor, AuditLog
from chancery.services.audit.checkpoints import Checkpointer
from chancery.storage import Storage
from chancery.storage.database import Database


def audit_log(db: Database, checkpoint_every: int = 1000) -> AuditLog:
    storage = Storage.on(db)
    config = AuditConfig(checkpoint_every=checkpoint_every)
    return AuditLog(storage, SystemClock(), Checkpointer(storage, SystemClock(), config, "x", new_signing_key("t")))


async def chain(storage: Storage) -> list[Entry]:
    return [entry async for entry in storage.audit.entries()]


async def test_entries_link_and_roll_back_with_their_transaction(db: Database) -> None:
    audit = audit_log(db)
    storage = audit.storage
    alice = Actor("@alice:x", "DEV", "10.0.0.1")
    async with db.transaction() as txn:
        await audit.record(txn, alice, "login", "@alice:x", details={"method": "m.login.password"})
    with pytest.raises(RuntimeError):
        async with db.transaction() as txn:
            await audit.record(txn, alice, "room.create", "!r:x")
            raise RuntimeError("the change failed")
    await audit.record_denial(alice, "membership.join", "!secret:x", deny("clearance", "not cleared"))
    await audit.record_alone(Actor.server("retention"), "retention.purge", "!r:x", details={"events": 3})

    entries = await chain(storage)
    assert [(e.seq, e.action, e.outcome, e.reason) for e in entries] == [
        (1, "login", "allowed", None),
        (2, "membership.join", "denied", "clearance"),
        (3, "retention.purge", "allowed", None),
    ]
    assert entries[0].prev_hash == GENESIS_HASH and entries[0].details == {"method": "m.login.password"}
    first = entries[0]
    assert (first.user_id, first.device_id, first.ip, first.via) == ("@alice:x", "DEV", "10.0.0.1", "client")
    assert (entries[2].via, entries[2].job, entries[2].user_id) == ("server", "retention", None)
    assert first_break(entries, 0, GENESIS_HASH) is None
    assert (await storage.audit.tail())[:2] == (3, entries[-1].hash)


async def test_concurrent_writers_make_one_gap_free_chain(db: Database) -> None:
    audit = audit_log(db)
    storage = audit.storage

    async def writer(n: int) -> None:
        for i in range(10):
            await audit.record_alone(Actor(f"@u{n}:x"), "login", f"@u{n}:x", details={"i": i})

    await asyncio.gather(*(writer(n) for n in range(5)))
    entries = await chain(storage)
    assert [e.seq for e in entries] == list(range(1, 51))
    assert first_break(entries, 0, GENESIS_HASH) is None


async def test_an_edit_in_sql_breaks_the_chain_at_that_entry(db: Database) -> None:
    audit = audit_log(db)
    storage = audit.storage
    for i in range(5):
        await audit.record_alone(Actor("@a:x"), "login", "@a:x", details={"i": i})
    await db.execute("UPDATE audit_log SET actor_user = '@mallory:x' WHERE seq = 3")
    broken = first_break(await chain(storage), 0, GENESIS_HASH)
    assert broken is not None and broken.seq == 3


async def test_details_never_carry_secrets(db: Database) -> None:
    audit = audit_log(db)
    with pytest.raises(ValueError):
        await audit.record_alone(Actor.cli(), "password.change", "@a:x", details={"password": "x"})
    assert await chain(audit.storage) == []
