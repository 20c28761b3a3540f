"""Stream changes: which waiting /syncs to wake, and which parts of a /sync may skip the database.

Every write that takes stream positions announces them after commit (`Notifier.notify`) with the keys it
touched. A key is `<scope>|<change>`: the scope is `room:<room_id>` or `user:<user_id>` (what a /sync
waits on), the change says what kind of thing changed there (see `Change`). In a deployment of several
processes a `Broadcaster` carries each announcement to the others.

The notifier also remembers the latest position of every key, and how far it has heard of *every*
committed position (`complete_upto`; a transaction's positions are contiguous, so each announcement
covers the range `first..pos`). Above the floor and up to `complete_upto`, "did this key change in
(since, upto]?" is then answered without asking the database. Positions that nobody announced (another
program writing to the database, a lost broadcast) are caught by `stream_watch`, which raises the
floor past them: /syncs from a token below the floor ask the database, as they would with no tracking.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from enum import StrEnum


class Change(StrEnum):
    EVENT = "event"  # any event in a room
    MEMBERSHIP = "membership"  # a membership event: in the room, and for the user it is about
    TYPING = "typing"
    RECEIPT = "receipt"  # room scope: public receipts; user scope: the user's private ones
    PRESENCE = "presence"  # user scope: the user's own; room scope: a member's
    DEVICES = "devices"  # device-list changes: of the user, or of a member of the room
    ACCOUNT_DATA = "account_data"
    TO_DEVICE = "to_device"
    TOKENS = "tokens"  # user scope: access tokens revoked (logout, device deletion, deactivation)
    RELATION = "relation"  # room scope: an event relating to another (edit, reaction, thread reply)
    KEYS = "keys"  # user scope: one-time or fallback keys uploaded or claimed
    ACCREDITATION = "accreditation"  # user scope: one of the user's devices accredited or no longer


def room_scope(room_id: str) -> str:
    return f"room:{room_id}"


def user_scope(user_id: str) -> str:
    return f"user:{user_id}"


def room_key(room_id: str, change: Change) -> str:
    return f"room:{room_id}|{change}"


def user_key(user_id: str, change: Change) -> str:
    return f"user:{user_id}|{change}"


def scope_of(key: str) -> str:
    return key.partition("|")[0]


# (last position, keys, first position of the announcing transaction)
Publisher = Callable[[int, list[str], int], Awaitable[None]]
AnnouncementListener = Callable[[int, list[str]], None]  # (last position, keys), local and remote alike
SkipListener = Callable[[int], None]  # everything up to this position may have changed


class Notifier:
    def __init__(self) -> None:
        self._latest: dict[str, int] = {}
        self._waiters: dict[str, set[asyncio.Event]] = {}
        self._publisher: Publisher | None = None
        self._closing = False
        # Changes at or below the floor may be unknown here; None: not tracking (e.g. a CLI command).
        self._floor: int | None = None
        self._complete_upto = 0
        self._ranges_ahead: dict[int, int] = {}  # first -> last, announced above a gap
        self._everything_changed_at = 0  # raised by `skip_to`: every scope may have changed up to here
        self._announcement_listeners: list[AnnouncementListener] = []
        self._skip_listeners: list[SkipListener] = []

    def add_listener(self, on_announcement: AnnouncementListener, on_skip: SkipListener) -> None:
        """Caches built on the stream: told of every announcement (before it counts as complete) and skip."""
        self._announcement_listeners.append(on_announcement)
        self._skip_listeners.append(on_skip)

    def latest(self, key: str) -> int:
        """The latest position announced for `key` (0: none since this process started)."""
        return self._latest.get(key, 0)

    # -- tracking -----------------------------------------------------------------------------------

    def start_tracking(self, committed: int) -> None:
        """Track changes from here on; `committed` is the database's stream position now."""
        self._floor = self._complete_upto = committed
        self._ranges_ahead.clear()

    @property
    def tracking(self) -> bool:
        return self._floor is not None

    @property
    def complete_upto(self) -> int:
        """Every position up to here is committed and its keys are known."""
        return self._complete_upto

    def tracks_from(self, since: int) -> bool:
        """Whether changes after `since` are tracked here (it is not below the floor)."""
        return self._floor is not None and since >= self._floor

    def knows(self, since: int, upto: int) -> bool:
        """Whether every change in (since, upto] is known here."""
        return self._floor is not None and since >= self._floor and upto <= self._complete_upto

    def unchanged(self, keys: Iterable[str], since: int, upto: int) -> bool:
        """True when this process knows that none of `keys` changed in (since, upto]."""
        if not self.knows(since, upto):
            return False
        latest = self._latest
        return all(latest.get(key, 0) <= since for key in keys)

    def skip_to(self, committed: int) -> None:
        """Everything up to `committed` may have changed for every key (unannounced or lost positions):
        raise the floor past it and let every waiting /sync look."""
        if self._floor is not None:
            self._floor = max(self._floor, committed)
            self._complete(committed)
        self._everything_changed_at = max(self._everything_changed_at, committed)
        for listener in self._skip_listeners:
            listener(committed)
        self._wake_everyone()

    def _complete(self, last: int, first: int | None = None) -> None:
        if last <= self._complete_upto:
            return
        if first is not None and first > self._complete_upto + 1:
            self._ranges_ahead[first] = max(self._ranges_ahead.get(first, 0), last)
            return
        self._complete_upto = last
        ahead = self._ranges_ahead
        while ahead:
            reachable = [f for f in ahead if f <= self._complete_upto + 1]
            if not reachable:
                break
            for f in reachable:
                self._complete_upto = max(self._complete_upto, ahead.pop(f))

    # -- announcing ---------------------------------------------------------------------------------

    def set_publisher(self, publisher: Publisher | None) -> None:
        """Send every local announcement to other processes too."""
        self._publisher = publisher

    async def notify(self, pos: int, keys: Iterable[str], *, first: int | None = None) -> None:
        """After commit: the transaction that took positions `first`..`pos` (default: just `pos`) changed `keys`."""
        key_list = list(keys)
        start = pos if first is None else first
        self.notify_local(pos, key_list, start)
        if self._publisher is not None:
            await self._publisher(pos, key_list, start)

    def notify_local(self, pos: int, keys: Iterable[str], first: int | None = None) -> None:
        """Record and wake; with `first`, also mark `first`..`pos` as fully announced (keys known)."""
        latest = self._latest
        woken: set[str] = set()
        keys = list(keys)
        for key in keys:
            scope = scope_of(key)
            for name in (key, scope):
                if pos > latest.get(name, 0):
                    latest[name] = pos
            if scope not in woken:
                woken.add(scope)
                for event in self._waiters.get(scope, ()):
                    event.set()
        for listener in self._announcement_listeners:
            listener(pos, keys)
        if first is not None and self._floor is not None:
            self._complete(pos, first)

    # -- waiting ------------------------------------------------------------------------------------

    def _wake_everyone(self) -> None:
        for waiters in self._waiters.values():
            for event in waiters:
                event.set()

    def wake_all(self) -> None:
        """Shutting down: let every long-poll return now instead of holding the process open."""
        self._closing = True
        self._wake_everyone()

    def changed_since(self, scopes: Iterable[str], since: int) -> bool:
        return self._everything_changed_at > since or any(self._latest.get(scope, 0) > since for scope in scopes)

    async def wait(self, scopes: Iterable[str], since: int, timeout_s: float) -> bool:
        """Wait until something in one of `scopes` changes after `since`, or the timeout; True if it did."""
        scope_list = list(scopes)
        if self.changed_since(scope_list, since):
            return True
        if self._closing:
            return False
        event = asyncio.Event()
        for scope in scope_list:
            self._waiters.setdefault(scope, set()).add(event)
        try:
            await asyncio.wait_for(event.wait(), timeout_s)
            return True
        except TimeoutError:
            return False
        finally:
            for scope in scope_list:
                waiters = self._waiters.get(scope)
                if waiters is not None:
                    waiters.discard(event)
                    if not waiters:
                        del self._waiters[scope]
