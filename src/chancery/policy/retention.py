"""How long a room keeps its messages: the room's m.room.retention within the server's policy for its
classification level, never less than one day (issue 14)."""

from __future__ import annotations

from typing import Any

DAY_MS = 24 * 3600 * 1000


def room_lifetimes(content: Any) -> tuple[int | None, int | None]:
    """(max_lifetime, min_lifetime) in ms from m.room.retention content; None where absent or not a positive
    integer (a malformed value does not shorten anything)."""
    if not isinstance(content, dict):
        return None, None

    def positive(key: str) -> int | None:
        value = content.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None

    return positive("max_lifetime"), positive("min_lifetime")


def max_lifetime_ms(room_max: int | None, room_min: int | None, default_days: int, max_days: int) -> int | None:
    """How old a message of the room may get before it is purged; None: kept for ever.

    The room's own max_lifetime, else the level's default, raised to the room's min_lifetime; then capped by
    the level's maximum (the institution's rule wins over the room's wish); never below one day (so a typo
    cannot wipe a room's history at the next run)."""
    lifetime = room_max if room_max is not None else (default_days * DAY_MS if default_days else None)
    if lifetime is not None and room_min is not None:
        lifetime = max(lifetime, room_min)
    if max_days:
        cap = max_days * DAY_MS
        lifetime = cap if lifetime is None else min(lifetime, cap)
    if lifetime is None:
        return None
    return max(lifetime, DAY_MS)
