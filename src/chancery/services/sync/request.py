"""Sync tokens, the request a /sync response is built for, and what it may skip."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ...errors import invalid_param
from ...events.filters import SyncFilter
from ...lru import Lru
from ...numbers import parse_decimal
from ...storage.account import AccountStore
from ...storage.ephemeral import EphemeralStore
from ...storage.rooms import RoomStore
from ..accounts.requester import Requester
from ..notifier import Change, Notifier, room_key, user_key

T = TypeVar("T")
Memberships = dict[str, tuple[str, int, str]]  # room -> (membership, stream position, event ID)


def parse_token(token: str | None) -> int | None:
    if token is None:
        return None
    pos = parse_decimal(token[1:]) if token.startswith("s") else None
    if pos is None:
        raise invalid_param("Invalid sync token")
    return pos


def make_token(pos: int) -> str:
    return f"s{pos}"


class MembershipCache:
    """Each user's memberships as of a stream position, reused while the notifier knows they did not change.

    Every /sync needs them; a user's memberships change rarely compared to how often they sync.
    """

    def __init__(self, notifier: Notifier, max_users: int = 50_000) -> None:
        self.notifier = notifier
        self._entries: Lru[str, tuple[int, Memberships]] = Lru(max_users)

    async def get(self, rooms: RoomStore, user_id: str, upto: int) -> Memberships:
        """The user's latest membership per room as of `upto`. The result is shared: do not modify it."""
        entry = self._entries.get(user_id)
        if entry is not None:
            as_of, memberships = entry
            if as_of <= upto and self.notifier.unchanged([user_key(user_id, Change.MEMBERSHIP)], as_of, upto):
                return memberships
        memberships = await rooms.memberships_at(user_id, upto)
        if self.notifier.tracking:
            self._entries.put(user_id, (upto, memberships))
        return memberships


@dataclass
class SyncRequest:
    requester: Requester
    since: int | None
    upto: int
    full_state: bool
    filter: SyncFilter
    # What changed where, as far as this process knows; None: ask the database about everything.
    changes: Notifier | None = None
    membership_cache: MembershipCache | None = None
    # Lookups several parts of one response need (memberships, account data, users sharing rooms),
    # made once per response by whichever part asks first.
    _loaded: dict[Hashable, Any] = field(default_factory=dict, repr=False)

    async def once(self, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
        if key not in self._loaded:
            self._loaded[key] = await load()
        value: T = self._loaded[key]
        return value

    # -- what changed in the window (known without the database, or None) --------------------------

    def knows_changes(self, after: int | None = None) -> bool:
        """Whether this process knows every change in (after, upto]; `after` defaults to `since`."""
        after = self.since if after is None else after
        return after is not None and self.changes is not None and self.changes.knows(after, self.upto)

    def unchanged(self, keys: Iterable[str], after: int | None = None) -> bool:
        """True when none of `keys` changed in (after, upto], as this process knows; False when unsure."""
        after = self.since if after is None else after
        return after is not None and self.changes is not None and self.changes.unchanged(keys, after, self.upto)

    def rooms_changed(self, room_ids: Iterable[str], change: Change) -> set[str] | None:
        """Which of `room_ids` had a `change` since the request's token; None when only the database knows."""
        if not self.knows_changes() or self.since is None or self.changes is None:
            return None
        latest, since = self.changes.latest, self.since
        return {r for r in room_ids if latest(room_key(r, change)) > since}

    async def typing_changed_rooms(self, ephemeral: EphemeralStore, room_ids: list[str]) -> set[str]:
        """Which of `room_ids` saw typing change since the token (incremental syncs only)."""
        known = self.rooms_changed(room_ids, Change.TYPING)
        if known is not None:
            return known
        assert self.since is not None
        return await ephemeral.typing_changed_rooms(room_ids, self.since, self.upto)

    def own_unchanged(self, *changes: Change, after: int | None = None) -> bool:
        user_id = self.requester.user_id
        return self.unchanged([user_key(user_id, c) for c in changes], after)

    # -- lookups shared by several sections ----------------------------------------------------------

    async def users_sharing_rooms(self, rooms: RoomStore) -> set[str]:
        return await self.once("users_sharing_rooms", lambda: rooms.users_sharing_rooms(self.requester.user_id))

    async def memberships(self, rooms: RoomStore) -> Memberships:
        """The requester's latest membership per room as of `upto` (shared: do not modify)."""
        user_id = self.requester.user_id
        if self.membership_cache is not None:
            cache = self.membership_cache
            return await self.once("memberships", lambda: cache.get(rooms, user_id, self.upto))
        return await self.once("memberships", lambda: rooms.memberships_at(user_id, self.upto))

    async def joined_rooms(self, rooms: RoomStore) -> list[str]:
        """The rooms the requester is joined to as of `upto`."""
        return [
            room_id for room_id, (membership, _, _) in (await self.memberships(rooms)).items() if membership == "join"
        ]

    async def account_data_since(self, account: AccountStore, after: int) -> dict[str, dict[str, dict[str, Any]]]:
        if self.own_unchanged(Change.ACCOUNT_DATA, after=after):
            return {}
        return await self.once(
            ("account_data", after), lambda: account.account_data_since(self.requester.user_id, after, self.upto)
        )
