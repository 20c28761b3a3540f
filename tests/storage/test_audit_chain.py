"""The audit chain on each engine: entries commit with their transaction, link without gaps under
concurrent writers, and a change made directly in SQL breaks the chain at that entry."""

from __future__ import annotations

import asyncio

import pytest

from chancery.clock import Clock, SystemClock
from chancery.config.audit import AuditConfig
from chancery.events.audit_chain import GENESIS_HASH, Entry, checkpoint_signed_by, entry_hash, first_break
from chancery.events.signing import new_signing_key, verify_key_base64
from chancery.policy.decision import deny
from chancery.services.audit import Actor, AuditLog
from chancery.services.audit.checkpoints import Checkpointer
from chancery.services.audit.log import DAY_MS
from chancery.services.audit.verify import verify_log
from chancery.storage import Storage
from chancery.storage.database import Database


class SetClock:
    def __init__(self) -> None:
        self.now = 1_700_000_000_000

    def now_ms(self) -> int:
        return self.now


KEY = new_signing_key("t")


def audit_log(db: Database, checkpoint_every: int = 1000, clock: Clock | None = None) -> AuditLog:
    storage = Storage.on(db)
    clock = clock or SystemClock()
    config = AuditConfig(checkpoint_every=checkpoint_every)
    return AuditLog(storage, clock, Checkpointer(storage, clock, config, "x", KEY))


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


async def test_checkpoints_are_signed_every_n_entries_and_verify_with_the_public_key(db: Database) -> None:
    audit = audit_log(db, checkpoint_every=3)
    for i in range(7):
        await audit.record_alone(Actor("@a:x"), "login", "@a:x", details={"i": i})
    signed = await audit.storage.audit.checkpoints()
    assert [c["seq"] for c in signed] == [6, 3]
    public = verify_key_base64(KEY)
    assert all(checkpoint_signed_by(c, public) for c in signed)
    assert (await verify_log(audit.storage, public)).ok
    other = verify_key_base64(new_signing_key("o"))
    result = await verify_log(audit.storage, other)
    assert result.broken is not None and result.broken.seq == 3

    # The whole chain rewritten from seq 2 on, hashes recomputed: only the signed checkpoint at 3 can tell.
    entries = await chain(audit.storage)
    prev = entries[0].hash
    for entry in entries[1:]:
        body = {**entry.body(), "prev_hash": prev, "target": "@someone-else:x"}
        prev = entry_hash(body)
        await db.execute(
            "UPDATE audit_log SET target = ?, prev_hash = ?, hash = ? WHERE seq = ?",
            body["target"],
            body["prev_hash"],
            prev,
            entry.seq,
        )
    await db.execute("UPDATE audit_tail SET hash = ? WHERE id = 1", prev)
    result = await verify_log(audit.storage, public)
    assert result.broken is not None and result.broken.seq == 3


async def test_retention_prunes_up_to_a_checkpoint_which_anchors_the_rest(db: Database) -> None:
    clock = SetClock()
    audit = audit_log(db, checkpoint_every=4, clock=clock)
    for i in range(10):
        await audit.record_alone(Actor("@a:x"), "login", "@a:x", details={"i": i})
    clock.now += 40 * DAY_MS
    for i in range(2):
        await audit.record_alone(Actor("@a:x"), "login", "@a:x", details={"later": i})
    # Entries 1..10 are old; the newest checkpoint among them is at 8: 1..8 go, 9 and 10 stay.
    assert await audit.prune_older_than(30) == 8
    kept = await chain(audit.storage)
    assert [e.seq for e in kept] == [9, 10, 11, 12, 13]
    assert kept[-1].action == "audit.prune" and kept[-1].details == {"upto_seq": 8, "entries": 8, "retention_days": 30}
    assert (await audit.storage.audit.tail())[2] == 8
    assert (await verify_log(audit.storage, verify_key_base64(KEY))).ok
    assert await audit.prune_older_than(30) == 0
    # The anchor must be a signed checkpoint: moving it is noticed.
    await db.execute("UPDATE audit_tail SET anchor_hash = ? WHERE id = 1", "f" * 64)
    assert not (await verify_log(audit.storage, verify_key_base64(KEY))).ok
