"""Wakes waiting /sync requests when something they care about changes.

Keys name what changed: `room:<room_id>` for anything in a room, `user:<user_id>` for anything
addressed to one user (invites, account data, to-device messages, device lists). In a deployment of
several processes, a `Broadcaster` carries each notification to the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable


def room_key(room_id: str) -> str:
    return f"room:{room_id}"


def user_key(user_id: str) -> str:
    return f"user:{user_id}"


Publisher = Callable[[int, list[str]], Awaitable[None]]


class Notifier:
    def __init__(self) -> None:
        self._latest: dict[str, int] = {}
        self._waiters: dict[str, set[asyncio.Event]] = {}
        self._publisher: Publisher | None = None
        self._closing = False
        # Raised by `wake_all_local`: everything up to here may have changed for every key.
        self._everything_changed_at = 0

    def set_publisher(self, publisher: Publisher | None) -> None:
        """Send every local notification to other processes too."""
        self._publisher = publisher

    async def notify(self, pos: int, keys: Iterable[str]) -> None:
        key_list = list(keys)
        self.notify_local(pos, key_list)
        if self._publisher is not None:
            await self._publisher(pos, key_list)

    def notify_local(self, pos: int, keys: Iterable[str]) -> None:
        for key in keys:
            if pos > self._latest.get(key, 0):
                self._latest[key] = pos
            for event in self._waiters.get(key, ()):
                event.set()

    def wake_all_local(self, pos: int) -> None:
        """Treat every key as changed up to `pos` (committed): another process's notification was lost or too large.

        Each waiting /sync wakes once, rebuilds its response up to the committed position and waits again.
        """
        self._everything_changed_at = max(self._everything_changed_at, pos)
        for waiters in self._waiters.values():
            for event in waiters:
                event.set()

    def wake_all(self) -> None:
        """Shutting down: let every long-poll return now instead of holding the process open."""
        self._closing = True
        for waiters in self._waiters.values():
            for event in waiters:
                event.set()

    def changed_since(self, keys: Iterable[str], since: int) -> bool:
        return self._everything_changed_at > since or any(self._latest.get(key, 0) > since for key in keys)

    async def wait(self, keys: Iterable[str], since: int, timeout_s: float) -> bool:
        """Wait until one of `keys` changes after `since`, or the timeout; True if something changed."""
        key_list = list(keys)
        if self.changed_since(key_list, since):
            return True
        if self._closing:
            return False
        event = asyncio.Event()
        for key in key_list:
            self._waiters.setdefault(key, set()).add(event)
        try:
            await asyncio.wait_for(event.wait(), timeout_s)
            return True
        except TimeoutError:
            return False
        finally:
            for key in key_list:
                waiters = self._waiters.get(key)
                if waiters is not None:
                    waiters.discard(event)
                    if not waiters:
                        del self._waiters[key]
