"""The notifier's record of what changed where, and how announcements travel between processes."""

from __future__ import annotations

import asyncio

import orjson

from chancery.services.notifier import Change, Notifier, room_key, room_scope, user_key
from chancery.storage.pg_broadcast import MAX_PAYLOAD_BYTES, encode_payloads

ROOM = "!r:example.org"
TYPING = room_key(ROOM, Change.TYPING)
EVENT = room_key(ROOM, Change.EVENT)


def tracking(at: int = 10) -> Notifier:
    notifier = Notifier()
    notifier.start_tracking(at)
    return notifier


def test_not_tracking_knows_nothing() -> None:
    notifier = Notifier()
    notifier.notify_local(5, [TYPING], 5)
    assert not notifier.tracking
    assert not notifier.unchanged([EVENT], 0, 5)


def test_unchanged_only_for_keys_without_a_later_position() -> None:
    notifier = tracking()
    notifier.notify_local(11, [TYPING], 11)
    assert notifier.complete_upto == 11
    assert notifier.unchanged([EVENT], 10, 11)
    assert not notifier.unchanged([TYPING], 10, 11)
    assert notifier.unchanged([TYPING], 11, 11)


def test_tokens_below_the_floor_and_windows_beyond_what_was_heard_are_unknown() -> None:
    notifier = tracking(10)
    assert not notifier.unchanged([EVENT], 9, 10)  # before tracking started
    assert not notifier.unchanged([EVENT], 10, 11)  # position 11 not announced yet


def test_completion_waits_for_every_range() -> None:
    notifier = tracking(10)
    notifier.notify_local(14, [EVENT], 13)  # positions 13..14 by one transaction, 11..12 still missing
    assert notifier.complete_upto == 10
    notifier.notify_local(11, [TYPING], 11)
    assert notifier.complete_upto == 11
    notifier.notify_local(12, [], 12)  # a position that changed nothing anyone waits on
    assert notifier.complete_upto == 14
    assert not notifier.unchanged([EVENT], 12, 14)


def test_keys_without_range_do_not_complete() -> None:
    notifier = tracking(10)
    notifier.notify_local(11, [EVENT])  # first part of a split announcement
    assert notifier.complete_upto == 10
    notifier.notify_local(11, [TYPING], 11)
    assert notifier.complete_upto == 11
    assert not notifier.unchanged([EVENT], 10, 11)


def test_skip_to_raises_the_floor_and_wakes_waiters() -> None:
    async def scenario() -> None:
        notifier = tracking(10)
        waiter = asyncio.create_task(notifier.wait([room_scope(ROOM)], 10, 5))
        await asyncio.sleep(0)
        notifier.skip_to(20)
        assert await waiter
        assert notifier.complete_upto == 20
        assert not notifier.unchanged([EVENT], 15, 20)  # below the new floor: unknown
        assert notifier.unchanged([EVENT], 20, 20)

    asyncio.run(scenario())


def test_a_key_wakes_the_waiters_of_its_scope() -> None:
    async def scenario() -> None:
        notifier = tracking(10)
        waiter = asyncio.create_task(notifier.wait([room_scope(ROOM)], 10, 5))
        other = asyncio.create_task(notifier.wait([room_scope("!other:example.org")], 10, 0.2))
        await asyncio.sleep(0)
        notifier.notify_local(11, [TYPING], 11)
        assert await waiter
        assert not await other

    asyncio.run(scenario())


def _decode(payloads: list[str]) -> list[list[object]]:
    entries: list[list[object]] = []
    for payload in payloads:
        assert len(payload.encode()) < MAX_PAYLOAD_BYTES
        entries += orjson.loads(payload)["n"]
    return entries


def test_payloads_carry_every_key_and_close_each_range_after_its_keys() -> None:
    many = [user_key(f"@user{i:04d}:example.org", Change.DEVICES) for i in range(1500)]
    batch = [(11, ["room:a|event"], 11), (14, many, 12), (15, [], 15)]
    entries = _decode(list(encode_payloads("origin", batch)))
    assert len(entries) > 3  # the big announcement was split
    seen: dict[int, set[str]] = {}
    closed: list[tuple[int, int]] = []
    for entry in entries:
        pos = int(entry[0])  # type: ignore[call-overload]
        assert pos not in {last for _, last in closed}, "keys after their range was closed"
        seen.setdefault(pos, set()).update(entry[1])  # type: ignore[arg-type]
        if len(entry) > 2:
            closed.append((int(entry[2]), pos))  # type: ignore[call-overload]
    assert seen[14] == set(many)
    assert seen[11] == {"room:a|event"}
    assert closed == [(11, 11), (12, 14), (15, 15)]


def test_a_key_too_large_for_any_payload_becomes_wake_everyone() -> None:
    huge = "user:@" + "x" * MAX_PAYLOAD_BYTES
    payloads = [orjson.loads(p) for p in encode_payloads("origin", [(7, [huge, "room:a|event"], 7)])]
    assert {"o": "origin", "all": 7} in payloads
    entries = [e for p in payloads for e in p.get("n", [])]
    assert entries == [[7, ["room:a|event"], 7]]
