"""Typing notifications, receipts, read markers and presence (client-server API modules of those names)."""

from __future__ import annotations

import asyncio
from typing import Any

from ..clock import Clock
from ..errors import forbidden, invalid_param, not_found
from ..lru import Lru
from ..storage import Storage
from ..storage.account import AccountStore
from ..storage.ephemeral import Presence, Receipt
from .accounts.requester import Requester
from .notifier import Change, Notifier, room_key, user_key
from .rooms.visibility import VisibilityService

MAX_TYPING_TIMEOUT_MS = 120_000
RECEIPT_TYPES = ("m.read", "m.read.private", "m.fully_read")
PRESENCE_STATES = ("online", "offline", "unavailable")
PRESENCE_REFRESH_MS = 60_000  # an unchanged presence is written again (last_active_ts) at most this often
_MAX_PRESENCE_REMEMBERED = 100_000


class EphemeralService:
    def __init__(self, storage: Storage, clock: Clock, notifier: Notifier, visibility: VisibilityService) -> None:
        self.storage = storage
        self.clock = clock
        self.notifier = notifier
        self.visibility = visibility
        self._typing_timers: dict[tuple[str, str], asyncio.TimerHandle] = {}
        # Each user's presence as last read or written here (saves a read per /sync).
        self._known_presence: Lru[str, Presence] = Lru(_MAX_PRESENCE_REMEMBERED)
        self._background: set[asyncio.Task[None]] = set()

    async def _require_joined(self, room_id: str, user_id: str) -> None:
        if await self.storage.rooms.membership(room_id, user_id) != "join":
            raise forbidden("You are not joined to this room")

    # -- typing -------------------------------------------------------------------------------------

    async def set_typing(self, requester: Requester, room_id: str, user_id: str, typing: bool, timeout_ms: int) -> None:
        if user_id != requester.user_id:
            raise forbidden("You may only set your own typing state")
        await self._require_joined(room_id, user_id)
        now = self.clock.now_ms()
        expires = now + min(max(timeout_ms, 0), MAX_TYPING_TIMEOUT_MS) if typing else 0
        pos = await self.storage.ephemeral.set_typing(room_id, user_id, expires)
        await self.notifier.notify(pos, [room_key(room_id, Change.TYPING)])
        self._schedule_expiry(room_id, user_id, expires - now if typing else None)

    def _schedule_expiry(self, room_id: str, user_id: str, delay_ms: int | None) -> None:
        key = (room_id, user_id)
        old = self._typing_timers.pop(key, None)
        if old is not None:
            old.cancel()
        if delay_ms is None:
            return
        loop = asyncio.get_running_loop()
        self._typing_timers[key] = loop.call_later(delay_ms / 1000, self._expire_typing, room_id, user_id)

    def _expire_typing(self, room_id: str, user_id: str) -> None:
        self._typing_timers.pop((room_id, user_id), None)
        task = asyncio.ensure_future(self._announce_typing_stopped(room_id, user_id))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _announce_typing_stopped(self, room_id: str, user_id: str) -> None:
        expires = await self.storage.ephemeral.typing_expiry(room_id, user_id)
        if expires is not None and 0 < expires <= self.clock.now_ms():
            pos = await self.storage.ephemeral.set_typing(room_id, user_id, 0)
            await self.notifier.notify(pos, [room_key(room_id, Change.TYPING)])

    def close(self) -> None:
        for timer in self._typing_timers.values():
            timer.cancel()
        self._typing_timers.clear()

    # -- receipts and read markers --------------------------------------------------------------

    async def send_receipt(
        self, requester: Requester, room_id: str, receipt_type: str, event_id: str, thread_id: str | None
    ) -> None:
        if receipt_type not in RECEIPT_TYPES:
            raise invalid_param(f"Unknown receipt type {receipt_type}")
        await self._require_joined(room_id, requester.user_id)
        stored = await self.storage.events.get_event(event_id)
        if stored is None or stored.event["room_id"] != room_id:
            raise not_found("Event not found in this room")
        await self.visibility.check_can_see(requester.user_id, stored)
        if receipt_type == "m.fully_read":
            await self._set_fully_read(requester, room_id, event_id)
            return
        if thread_id is not None and (not isinstance(thread_id, str) or not thread_id):
            raise invalid_param("thread_id must be a non-empty string")
        receipt = Receipt(
            room_id,
            receipt_type,
            requester.user_id,
            thread_id or "",
            event_id,
            stored.pos,
            self.clock.now_ms(),
        )
        pos = await self.storage.ephemeral.put_receipt(receipt)
        if pos is not None:
            private = receipt_type == "m.read.private"
            keys = [user_key(requester.user_id, Change.RECEIPT) if private else room_key(room_id, Change.RECEIPT)]
            await self.notifier.notify(pos, keys)

    async def _set_fully_read(self, requester: Requester, room_id: str, event_id: str) -> None:
        store: AccountStore = self.storage.account
        pos = await store.put_account_data(requester.user_id, room_id, "m.fully_read", {"event_id": event_id})
        await self.notifier.notify(pos, [user_key(requester.user_id, Change.ACCOUNT_DATA)])

    async def set_read_markers(self, requester: Requester, room_id: str, body: dict[str, Any]) -> None:
        for field_name, receipt_type in (
            ("m.fully_read", "m.fully_read"),
            ("m.read", "m.read"),
            ("m.read.private", "m.read.private"),
        ):
            event_id = body.get(field_name)
            if event_id is None:
                continue
            if not isinstance(event_id, str):
                raise invalid_param(f"{field_name} must be an event ID")
            await self.send_receipt(requester, room_id, receipt_type, event_id, None)

    # -- presence ---------------------------------------------------------------------------------

    async def set_presence(self, user_id: str, state: str, status_msg: str | None) -> None:
        if state not in PRESENCE_STATES:
            raise invalid_param(f"presence must be one of {', '.join(PRESENCE_STATES)}")
        if status_msg is not None and not isinstance(status_msg, str):
            raise invalid_param("status_msg must be a string")
        await self._set_presence(user_id, state, status_msg, await self.storage.ephemeral.get_presence(user_id))

    async def _set_presence(self, user_id: str, state: str, status_msg: str | None, current: Presence | None) -> None:
        now = self.clock.now_ms()
        if (
            current is not None
            and current.state == state
            and current.status_msg == status_msg
            and (now - current.last_active_ts < PRESENCE_REFRESH_MS)
        ):
            self._known_presence.put(user_id, current)
            return  # nothing a peer would notice; avoid a write per /sync
        pos = await self.storage.ephemeral.set_presence(user_id, state, status_msg, now)
        self._known_presence.put(user_id, Presence(user_id, state, status_msg, now, pos))
        rooms = await self.storage.rooms.rooms_for_user(user_id)
        keys = [user_key(user_id, Change.PRESENCE)] + [room_key(r, Change.PRESENCE) for r in rooms]
        await self.notifier.notify(pos, keys)

    async def touch_presence(self, user_id: str, state: str) -> None:
        """A /sync with set_presence: keep the status message, refresh the state."""
        known = self._known_presence.get(user_id)
        if (
            known is not None
            and known.state == state
            and self.clock.now_ms() - known.last_active_ts < PRESENCE_REFRESH_MS
            and self.notifier.unchanged([user_key(user_id, Change.PRESENCE)], known.pos, self.notifier.complete_upto)
        ):
            return  # as last seen here, and nobody changed it since
        current = await self.storage.ephemeral.get_presence(user_id)
        await self._set_presence(user_id, state, current.status_msg if current else None, current)

    async def get_presence(self, requester: Requester, user_id: str) -> dict[str, Any]:
        if user_id != requester.user_id and user_id not in await self.storage.rooms.users_sharing_rooms(
            requester.user_id
        ):
            if not await self.storage.users.user_exists(user_id):
                raise not_found("Unknown user")
            raise forbidden("You do not share a room with this user")
        presence = await self.storage.ephemeral.get_presence(user_id)
        if presence is None:
            return {"presence": "offline"}
        return presence_content(presence.state, presence.status_msg, presence.last_active_ts, self.clock.now_ms())


def presence_content(state: str, status_msg: str | None, last_active_ts: int, now: int) -> dict[str, Any]:
    ago = max(0, now - last_active_ts)
    content: dict[str, Any] = {"presence": state, "last_active_ago": ago}
    if state == "online":
        content["currently_active"] = ago < 5 * 60_000
    if status_msg is not None:
        content["status_msg"] = status_msg
    return content


def receipt_contents(receipts: list[Receipt], viewer: str) -> dict[str, dict[str, Any]]:
    """room -> `m.receipt` content ({event_id: {type: {user: {ts[, thread_id]}}}}); private receipts only the
    viewer's own."""
    found: dict[str, dict[str, Any]] = {}
    for receipt in receipts:
        if receipt.receipt_type == "m.read.private" and receipt.user_id != viewer:
            continue
        data: dict[str, Any] = {"ts": receipt.ts}
        if receipt.thread_id:
            data["thread_id"] = receipt.thread_id
        content = found.setdefault(receipt.room_id, {})
        content.setdefault(receipt.event_id, {}).setdefault(receipt.receipt_type, {})[receipt.user_id] = data
    return found
