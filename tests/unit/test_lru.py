"""The bounded caches forget their least recently used entries first."""

from __future__ import annotations

from chancery.lru import Lru


def test_keeps_at_most_max_entries_forgetting_the_least_recently_used() -> None:
    cache: Lru[str, int] = Lru(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" is now the most recently used
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    assert len(cache) == 2


def test_put_replaces_and_pop_forgets() -> None:
    cache: Lru[str, int] = Lru(2)
    cache.put("a", 1)
    cache.put("a", 5)
    cache.pop("a")
    cache.pop("missing")
    assert cache.get("a") is None
    assert len(cache) == 0
