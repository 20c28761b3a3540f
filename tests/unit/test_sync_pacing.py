"""/sync pacing: answers at once when few devices are busy, batches (up to 100 ms) when many are."""

from __future__ import annotations

import asyncio

import pytest

from chancery.services.sync import pacing as sync_pacing
from chancery.services.sync.pacing import MAX_INTERVAL_S, SyncPacer


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(sync_pacing.time, "monotonic", fake)
    return fake


def test_an_idle_server_does_not_pace(clock: FakeClock) -> None:
    assert SyncPacer().interval() == 0


def test_a_few_devices_with_cheap_responses_wait_a_few_milliseconds(clock: FakeClock) -> None:
    pacer = SyncPacer()
    for device in ("A", "B"):
        pacer.answered(("@u:example.org", device), 0.001)
    assert 0 < pacer.interval() < 0.01


def test_many_busy_devices_get_batches_of_at_most_max_interval(clock: FakeClock) -> None:
    pacer = SyncPacer()
    for index in range(50):
        pacer.answered((f"@u{index}:example.org", "D"), 0.004)
    assert pacer.interval() == MAX_INTERVAL_S


def test_devices_quiet_for_a_second_stop_counting(clock: FakeClock) -> None:
    pacer = SyncPacer()
    for index in range(50):
        pacer.answered((f"@u{index}:example.org", "D"), 0.004)
    clock.now += 1.5
    assert pacer.interval() == 0


def test_pace_waits_only_for_the_rest_of_the_interval(clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(sync_pacing.asyncio, "sleep", fake_sleep)
    pacer = SyncPacer()
    for index in range(50):
        pacer.answered((f"@u{index}:example.org", "D"), 0.004)
    clock.now += 0.03
    asyncio.run(pacer.pace(("@u0:example.org", "D")))
    asyncio.run(pacer.pace(("@never-answered:example.org", "D")))
    assert slept == [pytest.approx(MAX_INTERVAL_S - 0.03)]
