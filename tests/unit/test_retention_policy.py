"""The lifetime rule of retention (policy/retention.py): room values within the level's policy, floor one day."""

from __future__ import annotations

from chancery.policy.retention import DAY_MS, max_lifetime_ms, room_lifetimes


def test_the_room_value_wins_within_the_maximum() -> None:
    assert max_lifetime_ms(2 * DAY_MS, None, 30, 0) == 2 * DAY_MS
    assert max_lifetime_ms(60 * DAY_MS, None, 7, 10) == 10 * DAY_MS
    assert max_lifetime_ms(None, None, 30, 0) == 30 * DAY_MS
    assert max_lifetime_ms(None, None, 0, 10) == 10 * DAY_MS
    assert max_lifetime_ms(None, None, 0, 0) is None


def test_min_lifetime_raises_but_never_past_the_maximum() -> None:
    assert max_lifetime_ms(2 * DAY_MS, 5 * DAY_MS, 0, 0) == 5 * DAY_MS
    assert max_lifetime_ms(2 * DAY_MS, 50 * DAY_MS, 0, 10) == 10 * DAY_MS
    assert max_lifetime_ms(None, 5 * DAY_MS, 0, 0) is None  # a minimum alone deletes nothing


def test_nothing_is_shorter_than_a_day() -> None:
    assert max_lifetime_ms(1000, None, 0, 0) == DAY_MS


def test_malformed_room_values_are_ignored() -> None:
    assert room_lifetimes({"max_lifetime": "soon", "min_lifetime": -1}) == (None, None)
    assert room_lifetimes({"max_lifetime": True}) == (None, None)
    assert room_lifetimes({"max_lifetime": 5, "min_lifetime": 3}) == (5, 3)
    assert room_lifetimes(None) == (None, None)
