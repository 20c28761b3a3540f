"""Sliding sync extensions: to_device, e2ee, account_data, receipts and typing (MSC3885, MSC3884, MSC3959,
MSC3960, MSC3961, as Synapse and Element X use them).

Each reuses what /sync does for the same data (the e2e services' /sync sections, the sync service's global
account data, receipt serialisation), over the connection's stream window: everything for a room the
response sends whole, changes since the connection's last response for the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...clock import Clock
from ...errors import bad_json
from ...events.filters import SyncFilter
from ...storage import Storage
from ...storage.account import GLOBAL
from ...storage.sliding_sync import receipts_on
from ..accounts.requester import Requester
from ..e2e.install import E2eServices
from ..ephemeral import receipt_contents
from ..notifier import Change, Notifier
from ..sync.request import SyncRequest, make_token, parse_token
from ..sync.service import SyncService

__all__ = ["ExtensionWindow", "Extensions"]


@dataclass
class ExtensionWindow:
    """What the extensions of one response cover."""

    requester: Requester
    since: int | None  # the stream position of the connection's last response; None: a new connection
    upto: int
    rooms: dict[str, list[str]]  # joined rooms the lists and subscriptions cover -> names of lists covering them
    initial_rooms: dict[str, list[str]]  # rooms this response sends whole -> the event IDs of their timelines


def enabled(config: dict[str, Any] | None) -> bool:
    return isinstance(config, dict) and config.get("enabled") is True


def _rooms_for(config: dict[str, Any], window: ExtensionWindow) -> list[str]:
    """The rooms an extension covers: those its `lists` and `rooms` name (default `*`: every covered room)."""
    lists, rooms = config.get("lists", ["*"]), config.get("rooms", ["*"])
    if not isinstance(lists, list) or not isinstance(rooms, list):
        raise bad_json("An extension's lists and rooms are lists")
    if "*" in lists or "*" in rooms:
        return sorted(window.rooms)
    wanted_lists, wanted_rooms = set(lists), set(rooms)
    return sorted(r for r, names in window.rooms.items() if r in wanted_rooms or wanted_lists.intersection(names))


class Extensions:
    def __init__(self, storage: Storage, clock: Clock, notifier: Notifier, sync: SyncService, e2e: E2eServices) -> None:
        self.storage = storage
        self.clock = clock
        self.notifier = notifier
        self.sync = sync
        self.e2e = e2e
        self.memberships = sync.membership_cache

    def _sync_request(self, window: ExtensionWindow, since: int | None) -> SyncRequest:
        return SyncRequest(window.requester, since, window.upto, False, SyncFilter(), self.notifier, self.memberships)

    async def build(self, configs: dict[str, dict[str, Any]], window: ExtensionWindow) -> tuple[dict[str, Any], bool]:
        """The response's `extensions` and whether any carries something worth ending a long-poll for."""
        out: dict[str, Any] = {}
        news = False
        builders = {
            "to_device": self._to_device,
            "e2ee": self._e2ee,
            "account_data": self._account_data,
            "receipts": self._receipts,
            "typing": self._typing,
        }
        for name, build in builders.items():
            config = configs.get(name)
            if config is not None and enabled(config):
                section, has_news = await build(config, window)
                out[name] = section
                news = news or has_news
        return out, news

    async def _to_device(self, config: dict[str, Any], window: ExtensionWindow) -> tuple[dict[str, Any], bool]:
        """Messages after `since` (which acknowledges, and so deletes, the ones up to it), at most 100."""
        since = config.get("since")
        if since is not None and not isinstance(since, str):
            raise bad_json("extensions.to_device.since must be a string")
        body: dict[str, Any] = {}
        news = await self.e2e.to_device.sync_extension(self._sync_request(window, parse_token(since)), body)
        return {"next_batch": make_token(window.upto), "events": body["to_device"]["events"]}, news

    async def _e2ee(self, config: dict[str, Any], window: ExtensionWindow) -> tuple[dict[str, Any], bool]:
        request = self._sync_request(window, window.since)
        body: dict[str, Any] = {}
        news = await self.e2e.device_lists.sync_extension(request, body)
        await self.e2e.keys.sync_extension(request, body)
        section = {
            "device_one_time_keys_count": body["device_one_time_keys_count"],
            "device_unused_fallback_key_types": body["device_unused_fallback_key_types"],
        }
        if "device_lists" in body:
            section["device_lists"] = body["device_lists"]
        return section, news

    async def _account_data(self, config: dict[str, Any], window: ExtensionWindow) -> tuple[dict[str, Any], bool]:
        request = self._sync_request(window, window.since)
        global_events = await self.sync.global_account_data(request)
        rooms = _rooms_for(config, window)
        whole = [r for r in rooms if r in window.initial_rooms or window.since is None]
        changed = [r for r in rooms if r not in whole]
        by_room: dict[str, list[dict[str, Any]]] = {}
        for after, room_ids in ((0, whole), (window.since or 0, changed)):
            if not room_ids:
                continue
            data = await request.account_data_since(self.storage.account, after)
            for room_id in room_ids:
                if data.get(room_id) and room_id != GLOBAL:
                    by_room[room_id] = [{"type": t, "content": c} for t, c in data[room_id].items()]
        return {"global": global_events, "rooms": by_room}, bool(global_events or by_room)

    async def _receipts(self, config: dict[str, Any], window: ExtensionWindow) -> tuple[dict[str, Any], bool]:
        """For a room sent whole, the receipts on its timeline's events and the user's own (as Synapse does: not
        every member's receipt of a large room); for the others, the receipts since the last response."""
        request = self._sync_request(window, window.since)
        rooms = _rooms_for(config, window)
        whole = [r for r in rooms if r in window.initial_rooms or window.since is None]
        changed = [r for r in rooms if r not in whole]
        if changed and request.own_unchanged(Change.RECEIPT):
            known = request.rooms_changed(changed, Change.RECEIPT)
            changed = changed if known is None else [r for r in changed if r in known]
        receipts = []
        if whole:
            events = [e for r in whole for e in window.initial_rooms.get(r, [])]
            receipts += await receipts_on(self.storage.db, whole, events, window.requester.user_id, window.upto)
        if changed:
            receipts += await self.storage.ephemeral.receipts_since(changed, window.since or 0, window.upto)
        found = receipt_contents(receipts, window.requester.user_id)
        rooms_out = {r: {"type": "m.receipt", "content": content} for r, content in found.items()}
        return {"rooms": rooms_out}, bool(rooms_out)

    async def _typing(self, config: dict[str, Any], window: ExtensionWindow) -> tuple[dict[str, Any], bool]:
        request = self._sync_request(window, window.since)
        rooms = _rooms_for(config, window)
        whole = {r for r in rooms if r in window.initial_rooms or window.since is None}
        changed = [r for r in rooms if r not in whole]
        if changed:
            changed = sorted(await request.typing_changed_rooms(self.storage.ephemeral, changed))
        wanted = sorted(whole) + changed
        typing = await self.storage.ephemeral.typing_users_in_rooms(wanted, self.clock.now_ms()) if wanted else {}
        rooms_out = {
            r: {"type": "m.typing", "content": {"user_ids": typing.get(r, [])}}
            for r in wanted
            if typing.get(r) or r not in whole
        }
        return {"rooms": rooms_out}, bool(rooms_out)
