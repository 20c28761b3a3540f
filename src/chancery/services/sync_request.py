"""Sync tokens and the request a /sync response is built for."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..errors import invalid_param
from ..events.filters import SyncFilter
from ..storage.account import AccountStore
from ..storage.rooms import RoomStore
from .requester import Requester

T = TypeVar("T")


def parse_token(token: str | None) -> int | None:
    if token is None:
        return None
    if not token.startswith("s") or not token[1:].isdigit() or len(token) > 20:
        raise invalid_param("Invalid sync token")
    return int(token[1:])


def make_token(pos: int) -> str:
    return f"s{pos}"


@dataclass
class SyncRequest:
    requester: Requester
    since: int | None
    upto: int
    full_state: bool
    filter: SyncFilter
    # Lookups several parts of one response need (memberships, account data, users sharing rooms),
    # made once per response by whichever part asks first.
    _loaded: dict[Hashable, Any] = field(default_factory=dict, repr=False)

    async def once(self, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
        if key not in self._loaded:
            self._loaded[key] = await load()
        value: T = self._loaded[key]
        return value

    async def users_sharing_rooms(self, rooms: RoomStore) -> set[str]:
        return await self.once("users_sharing_rooms", lambda: rooms.users_sharing_rooms(self.requester.user_id))

    async def memberships(self, rooms: RoomStore) -> dict[str, tuple[str, int, str]]:
        """The requester's latest membership per room as of `upto`."""
        return await self.once("memberships", lambda: rooms.memberships_at(self.requester.user_id, self.upto))

    async def account_data_since(self, account: AccountStore, after: int) -> dict[str, dict[str, dict[str, Any]]]:
        return await self.once(
            ("account_data", after), lambda: account.account_data_since(self.requester.user_id, after, self.upto)
        )
