"""Simplified sliding sync (MSC4186): connections, `pos` tokens, long-polling.

A connection is (user, device, conn_id) and lives in the database, so that a restart or another worker
continues it. Every response that carries something gets a new `pos`, recorded with the `pos` it answered,
the stream position it was built up to and what it sent of each room; a response with nothing in it keeps the
client's `pos`, which then stands for the later stream position. A client may repeat its latest `pos` (a retry,
or a request it cancelled) and gets the same data again: the answers to one `pos` coexist until the client's
next `pos` shows which one it processed, and then the others, and everything older, are forgotten. A request
that finishes after the client has moved on records nothing.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from ...clock import Clock, Randomness
from ...events.sliding_sync import RoomConfig, SlidingSyncRequest, unknown_pos
from ...numbers import parse_decimal
from ...storage import Storage
from ...storage.sliding_sync import SentRoom, SlidingSyncStore, direct_rooms, own_read_positions
from ...storage.stream import current_position
from ..accounts.requester import Requester
from ..notifier import Change, Notifier, room_key, room_scope, user_key, user_scope
from ..sync.service import WAKE_COALESCE_S, SyncService
from .extensions import Extensions, ExtensionWindow
from .room_list import ListedRoom, RoomLister, in_range
from .room_results import RoomResults, RoomToSend, needs_sending

CONNECTION_IDLE_MS = 7 * 24 * 3600 * 1000  # a connection unused this long is forgotten: M_UNKNOWN_POS
MAX_CONNECTIONS_PER_DEVICE = 10  # a new one beyond this replaces the device's least recently used
MAX_TIMEOUT_MS = 300_000


@dataclass
class _Connection:
    conn_key: str
    pos: int | None  # the `pos` the request came with; None: a new connection
    since: int | None  # the stream position that `pos` stands for
    sent: dict[str, SentRoom]


@dataclass
class _Response:
    body: dict[str, Any]
    sent: dict[str, SentRoom]
    empty: bool


class SlidingSyncService:
    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        randomness: Randomness,
        notifier: Notifier,
        sync: SyncService,
        results: RoomResults,
        extensions: Extensions,
    ) -> None:
        self.storage = storage
        self.store = SlidingSyncStore(storage.db)
        self.clock = clock
        self.randomness = randomness
        self.notifier = notifier
        self.sync_service = sync
        self.lister = RoomLister(storage, notifier)
        self.results = results
        self.extensions = extensions

    async def sync(
        self, requester: Requester, pos: str | None, timeout_ms: int, request: SlidingSyncRequest
    ) -> dict[str, Any]:
        connection = await self._connection(requester, request.conn_id, pos)
        deadline = time.monotonic() + min(timeout_ms, MAX_TIMEOUT_MS) / 1000
        while True:
            upto = await current_position(self.storage.db)
            response = await self._build(requester, connection, request, upto)
            remaining = deadline - time.monotonic()
            if connection.pos is None or not response.empty or remaining <= 0:
                break
            joined = await self.sync_service.membership_cache.get(self.storage.rooms, requester.user_id, upto)
            scopes = [user_scope(requester.user_id)] + [room_scope(r) for r, m in joined.items() if m[0] == "join"]
            if not await self.notifier.wait(scopes, upto, remaining):
                upto = await current_position(self.storage.db)
                response = await self._build(requester, connection, request, upto)
                break
            await asyncio.sleep(WAKE_COALESCE_S)
        response.body["pos"] = await self._record(connection, upto, response)
        return response.body

    # -- connections ---------------------------------------------------------------------------------

    async def _connection(self, requester: Requester, conn_id: str, pos: str | None) -> _Connection:
        user_id, device_id = requester.user_id, requester.device_id
        now = self.clock.now_ms()
        if pos is None:
            conn_key = self.randomness.token(12)
            async with self.storage.db.transaction() as txn:
                await self.store.delete_idle(txn, now - CONNECTION_IDLE_MS)
                others = [c for c, _ in await self.store.connection_ids(user_id, device_id) if c != conn_id]
                for old in others[: max(0, len(others) - MAX_CONNECTIONS_PER_DEVICE + 1)]:
                    await self.store.delete_connections(txn, user_id, [device_id], old)
                await self.store.create_connection(txn, user_id, device_id, conn_id, conn_key, now)
            return _Connection(conn_key, None, None, {})
        conn_key, _, number = pos.partition(".")
        pos_number = parse_decimal(number)
        row = await self.store.connection(user_id, device_id, conn_id)
        if row is None or pos_number is None or row.conn_key != conn_key:
            raise unknown_pos()
        if row.last_used_ts < now - CONNECTION_IDLE_MS:
            async with self.storage.db.transaction() as txn:
                await self.store.delete_connections(txn, user_id, [device_id], conn_id)
            raise unknown_pos()
        if pos_number < row.max_requested_pos:
            raise unknown_pos()  # the client has used a later one: this one is spent
        position = await self.store.position(conn_key, pos_number)
        if position is None:
            raise unknown_pos()
        parent, since = position
        if pos_number > row.max_requested_pos:
            async with self.storage.db.transaction() as txn:
                await self.store.advance(txn, conn_key, pos_number, parent, now)
        sent = await self.store.sent_rooms(conn_key, pos_number, parent)
        return _Connection(conn_key, pos_number, since, sent)

    async def _record(self, connection: _Connection, upto: int, response: _Response) -> str:
        """Store what the response sent; returns its `pos`."""
        now = self.clock.now_ms()
        key = connection.conn_key
        async with self.storage.db.transaction() as txn:
            if connection.pos is not None:
                if not await self.store.is_latest_request(txn, key, connection.pos):
                    # A request the client gave up on (it has sent a later `pos` since): record nothing.
                    return f"{key}.{connection.pos}"
                if response.empty:
                    await self.store.move_position(txn, key, connection.pos, upto, now)
                    return f"{key}.{connection.pos}"
            pos = await self.store.add_position(txn, key, connection.pos or 0, upto, response.sent, now)
        if pos is None:  # the connection was replaced or deleted meanwhile
            raise unknown_pos()
        return f"{key}.{pos}"

    async def delete_device_connections(self, txn: Any, user_id: str, device_ids: list[str]) -> None:
        """Device-deletion hook: a deleted device's connections will never be used."""
        await self.store.delete_connections(txn, user_id, device_ids)

    # -- responses -----------------------------------------------------------------------------------

    async def _mark_reads(self, user_id: str, rooms: list[RoomToSend], upto: int) -> None:
        """Flag the joined rooms, sent before and otherwise unchanged, where the user has read since (on any
        device): their unread counts go out again."""
        candidates = [r for r in rooms if r.sent is not None and r.listed.membership == "join" and not needs_sending(r)]
        if not candidates:
            return
        after = min(r.sent.sent_upto for r in candidates if r.sent is not None)
        keys = [user_key(user_id, Change.RECEIPT)] + [room_key(r.listed.room_id, Change.RECEIPT) for r in candidates]
        if self.notifier.unchanged(keys, after, upto):
            return
        read = await own_read_positions(self.storage.db, user_id, [r.listed.room_id for r in candidates], after, upto)
        for room in candidates:
            assert room.sent is not None
            room.read_since_sent = read.get(room.listed.room_id, 0) > room.sent.sent_upto

    async def _build(
        self, requester: Requester, connection: _Connection, request: SlidingSyncRequest, upto: int
    ) -> _Response:
        user_id = requester.user_id
        memberships = await self.sync_service.membership_cache.get(self.storage.rooms, user_id, upto)
        hidden = await self.sync_service.visibility.rooms_hidden_from(requester, list(memberships))
        if hidden:  # rooms this device may not read at all (e.g. classified, on an unaccredited device)
            memberships = {r: m for r, m in memberships.items() if r not in hidden}
        rooms = await self.lister.rooms(user_id, memberships, set(connection.sent), upto)
        to_send: dict[str, RoomToSend] = {}

        def add(room: ListedRoom, config: RoomConfig, list_name: str | None) -> None:
            entry = to_send.get(room.room_id)
            if entry is None:
                entry = to_send[room.room_id] = RoomToSend(room, config, connection.sent.get(room.room_id))
            else:
                entry.config = entry.config.combine(config)
            if list_name is not None:
                entry.lists.append(list_name)

        lists: dict[str, Any] = {}
        listed = [r for r in rooms if r.listed]
        for name, list_config in request.lists.items():
            filtered = await self.lister.filter(user_id, listed, list_config.filters)
            lists[name] = {"count": len(filtered)}
            for room in in_range(filtered, list_config):
                add(room, list_config.config, name)
        by_id = {r.room_id: r for r in rooms}
        for room_id, config in request.subscriptions.items():
            if room_id in by_id:
                add(by_id[room_id], config, None)
        await self._mark_reads(user_id, list(to_send.values()), upto)
        direct, direct_pos = await direct_rooms(self.storage.db, user_id) if to_send else (set(), 0)
        for candidate in to_send.values():
            before = candidate.sent
            if before is not None and candidate.listed.membership == "join":
                candidate.dm_changed = before.sent_upto < direct_pos
        sending = [r for r in to_send.values() if needs_sending(r)]
        entries, timelines = await self.results.build(requester, sending, connection.since, upto, direct)
        sent = {
            r.listed.room_id: SentRoom(upto, r.config.timeline_limit, r.config.required_state.canonical())
            for r in sending
            if r.listed.room_id in entries
        }
        window = ExtensionWindow(
            requester,
            connection.since,
            upto,
            {r.listed.room_id: r.lists for r in to_send.values() if r.listed.membership == "join"},
            {room_id: timelines.get(room_id, []) for room_id, entry in entries.items() if entry.get("initial")},
        )
        extensions, news = await self.extensions.build(request.extensions, window)
        body: dict[str, Any] = {"lists": lists, "rooms": entries, "extensions": extensions}
        return _Response(body, sent, empty=not entries and not news)
