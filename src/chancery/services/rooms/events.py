"""Appending events to rooms: build, authorise, persist and notify, one room event at a time.

A room's events are created strictly one after another (the room graph stays linear): in one process
by a per-room lock, across processes by locking the room's row for the transaction.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from signedjson.types import SigningKey

from ...clock import Clock, Randomness, SystemRandomness
from ...errors import MatrixError, forbidden, not_found, too_large
from ...events.auth_rules import AuthError, auth_event_keys, check_auth
from ...events.builder import EventDraft, build_event, redacted_event_id
from ...events.canonical import canonical_json
from ...events.hashing import reference_hash_base64
from ...events.notifications import Notification, classify
from ...events.power_levels import action_level, notification_level, user_power_level
from ...events.redaction import prune_event
from ...events.relations import relation_of
from ...events.room_versions import EventIdFormat, RoomVersion, get_room_version
from ...lru import Lru
from ...storage import Storage
from ...storage.database import Connection
from ...storage.events import StoredEvent
from ...storage.rooms import RoomRow
from ..audit.room_events import EventAuditor
from ..notifier import Change, Notifier, room_key, user_key
from .canonical_alias import CANONICAL_ALIAS, check_canonical_alias
from .recent_events import RecentEvents
from .state_cache import StateCache, StateMap

log = logging.getLogger(__name__)

EventCheck = Callable[[dict[str, Any], StateMap, RoomVersion], None]
# Checks that need the database (e.g. a person's clearance), run with the writer's transaction; only for
# modules whose settings ask for them, so rooms pay nothing for rules they are not under.
AsyncEventCheck = Callable[["RoomWriter", dict[str, Any]], Awaitable[None]]
# Told of each event appended, inside the transaction; may append more events (e.g. removing members a
# room's new classification excludes, atomically with it).
AppendHook = Callable[["RoomWriter", "StoredEvent"], Awaitable[None]]
CommittedListener = Callable[[list[StoredEvent]], Awaitable[None]]
REDACTION = "m.room.redaction"
_MAX_ROOM_ROWS_REMEMBERED = 10_000
_OPAQUE_EVENT_ID_LETTERS = 24  # room versions 1 and 2: `$<random>:<server>`, 137 random bits


@dataclass
class TxnKey:
    """The (user, device, transaction ID) that makes a client's send idempotent."""

    user_id: str
    device_id: str
    txn_id: str


@dataclass
class RoomWriter:
    """Appends events to one room inside one database transaction."""

    service: RoomEventService
    txn: Connection
    room_id: str | None
    version: RoomVersion
    state: StateMap
    last_event_id: str | None
    depth: int
    written: list[StoredEvent] = field(default_factory=list)
    txn_keys: dict[str, TxnKey] = field(default_factory=dict)  # event ID -> the transaction it was sent in
    notifications: dict[str, Notification] = field(default_factory=dict)  # event ID -> as stored
    previous_event: dict[str, Any] | None = None  # the last event appended through this writer
    creating: bool = False  # this writer's transaction creates the room

    async def append(self, draft: EventDraft, txn_key: TxnKey | None = None) -> StoredEvent:
        """Build, authorise and persist one event; `txn_key` records the client's transaction ID with it."""
        return await self.store(await self.prepare(draft), txn_key)

    async def store(self, event: dict[str, Any], txn_key: TxnKey | None = None) -> StoredEvent:
        """Persist an event `prepare` built for this writer, with nothing appended to the room in between."""
        svc = self.service
        if event["type"] == "m.room.redaction":
            await self._apply_redaction(event)
        if "state_key" in event:
            # Audit entries join this transaction before the stream position is taken (one lock order).
            replaced = self.state.get((event["type"], event["state_key"]))
            for auditor in svc.event_auditors.get(event["type"], ()):
                await auditor(self.txn, event, replaced, self.creating)
        await svc.storage.rooms.set_last_event(self.txn, event["room_id"], event["event_id"], event["depth"])
        if txn_key is not None:
            await svc.storage.events.record_txn(
                self.txn, txn_key.user_id, txn_key.device_id, txn_key.txn_id, event["event_id"], svc.clock.now_ms()
            )
            self.txn_keys[event["event_id"]] = txn_key
        # Last, so the stream counter's row (locked until commit on PostgreSQL) is held as briefly as possible.
        pos = await svc.storage.events.insert_event(self.txn, event, self.notifications[event["event_id"]])
        stored = self.appended(pos, event)
        for hook in svc.append_hooks:
            await hook(self, stored)
        return stored

    def appended(self, pos: int, event: dict[str, Any]) -> StoredEvent:
        """Bookkeeping after `event` was stored at `pos`: the writer's state, the state cache, `written`."""
        if "state_key" in event:
            self.state = {**self.state, (event["type"], event["state_key"]): event}
        self.last_event_id = event["event_id"]
        self.depth = event["depth"]
        self.previous_event = event
        self.service.state_cache.put(event["room_id"], self.last_event_id, self.state)
        stored = StoredEvent(pos, event)
        self.written.append(stored)
        return stored

    async def prepare(self, draft: EventDraft) -> dict[str, Any]:
        """Build, size-check and authorise the next event of the room (nothing written yet but a create's room row)."""
        svc = self.service
        auth_ids = [
            self.state[key]["event_id"]
            for key in auth_event_keys(_draft_shape(draft), self.version)
            if key in self.state
        ]
        if draft.event_type == "m.room.create":
            event = await self._build_create(draft)
        elif self.version.event_id_format is EventIdFormat.SERVER_ASSIGNED:
            event = self._build(draft, auth_ids, svc.clock.now_ms(), await self._reference_hashes(draft))
        else:
            event = self._build(draft, auth_ids, svc.clock.now_ms())
        if len(canonical_json(event)) > svc.max_event_bytes:
            raise too_large(f"Event is larger than {svc.max_event_bytes} bytes")
        try:
            check_auth(event, self.state, self.version)
        except AuthError as exc:
            raise forbidden(str(exc)) from exc
        for check in svc.event_checks:
            check(event, self.state, self.version)
        for async_check in svc.async_event_checks:
            await async_check(self, event)
        await self._check_relation(event)
        if event["type"] == CANONICAL_ALIAS and "state_key" in event:
            replaced = self.state.get((CANONICAL_ALIAS, event["state_key"]))
            await check_canonical_alias(svc.storage.rooms, self.txn, event, replaced)
        # `@room` highlights everyone only from a sender whose power level reaches notifications.room.
        may_notify_room = user_power_level(event["sender"], self.state, self.version) >= notification_level(
            "room", self.state
        )
        self.notifications[event["event_id"]] = classify(event, may_notify_room)
        if "state_key" in event:
            replaced = self.state.get((event["type"], event["state_key"]))
            if replaced is not None:
                event["unsigned"] = {
                    "replaces_state": replaced["event_id"],
                    "prev_content": replaced["content"],
                    "prev_sender": replaced["sender"],
                }
        return event

    async def _check_relation(self, event: dict[str, Any]) -> None:
        """An event may relate only to an event of its own room (spec: forming relationships between events;
        Synapse refuses the others too). One answer for "elsewhere" and "unknown": it reveals nothing."""
        parent_id, _ = relation_of(event)
        if parent_id is not None and await self.service.storage.events.room_of(parent_id, self.txn) != event["room_id"]:
            raise MatrixError(400, "M_UNKNOWN", "The event it relates to is not in this room")

    def _build(
        self,
        draft: EventDraft,
        auth_ids: list[str],
        origin_server_ts: int,
        reference_hashes: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        svc = self.service
        event_id = None
        if self.version.event_id_format is EventIdFormat.SERVER_ASSIGNED:
            event_id = f"${svc.randomness.letters(_OPAQUE_EVENT_ID_LETTERS)}:{svc.server_name}"
        return build_event(
            draft,
            version=self.version,
            room_id=self.room_id,
            prev_events=[self.last_event_id] if self.last_event_id else [],
            auth_events=auth_ids,
            depth=self.depth + 1,
            origin_server_ts=origin_server_ts,
            server_name=svc.server_name,
            signing_key=svc.signing_key,
            event_id=event_id,
            reference_hashes=reference_hashes,
        )

    async def _reference_hashes(self, draft: EventDraft) -> dict[str, str]:
        """Room versions 1 and 2 cite the previous event and each auth event with its reference hash.
        Redaction does not change a reference hash, so a redacted copy gives the same answer."""
        cited = [self.state[key] for key in auth_event_keys(_draft_shape(draft), self.version) if key in self.state]
        if self.last_event_id is not None:
            previous = self.previous_event
            if previous is None or previous["event_id"] != self.last_event_id:
                stored = await self.service.storage.events.get_event(self.last_event_id, self.txn)
                if stored is None:
                    raise MatrixError(500, "M_UNKNOWN", "The room's latest event is missing")
                previous = stored.event
            cited.append(previous)
        return {event["event_id"]: reference_hash_base64(event, self.version) for event in cited}

    async def _build_create(self, draft: EventDraft) -> dict[str, Any]:
        """A create event whose room ID is new on this server; the room row is claimed here."""
        svc = self.service
        now = svc.clock.now_ms()
        reserved = self.room_id  # chosen by the caller (a room upgrade names the new room before creating it)
        for offset in range(1000):
            if not self.version.create_event_defines_room_id:
                self.room_id = reserved or f"!{svc.randomness.letters(18)}:{svc.server_name}"
            # v12 derives the room ID from the event, so two identical creates in one millisecond would
            # collide: step the timestamp until the ID is unused.
            event = self._build(draft, [], now + offset, {})
            if await svc.storage.rooms.insert_room(
                self.txn, event["room_id"], self.version.identifier, event["sender"], False, now
            ):
                self.room_id = event["room_id"]
                self.creating = True
                return event
            if reserved is not None and not self.version.create_event_defines_room_id:
                break
        raise MatrixError(500, "M_UNKNOWN", "Could not allocate a room ID")

    async def _apply_redaction(self, redaction: dict[str, Any]) -> None:
        target_id = redacted_event_id(redaction)
        if target_id is None:
            raise MatrixError(400, "M_BAD_JSON", "Redaction has no target")
        target = await self.service.storage.events.get_event(target_id, self.txn)
        if target is None or target.event["room_id"] != redaction["room_id"]:
            raise not_found("Event to redact not found in this room")
        sender = redaction["sender"]
        if target.event["sender"] != sender and user_power_level(sender, self.state, self.version) < action_level(
            "redact", self.state
        ):
            raise forbidden("You may not redact other users' events")
        if target.event["type"] == "m.room.create":
            raise forbidden("The create event cannot be redacted")
        pruned = prune_event(target.event, self.version)
        pruned["event_id"] = target.event["event_id"]
        pruned["room_id"] = target.event["room_id"]
        await self.service.storage.events.replace_with_redacted(self.txn, target_id, pruned, redaction["event_id"])
        key = (target.event["type"], target.event.get("state_key"))
        if key[1] is not None and self.state.get((key[0], key[1]), {}).get("event_id") == target_id:
            self.state = {**self.state, (key[0], key[1]): pruned}


def _txn_tuple(key: TxnKey | None) -> tuple[str, str, str] | None:
    return None if key is None else (key.user_id, key.device_id, key.txn_id)


def _draft_shape(draft: EventDraft) -> dict[str, Any]:
    shape: dict[str, Any] = {"type": draft.event_type, "sender": draft.sender, "content": draft.content}
    if draft.state_key is not None:
        shape["state_key"] = draft.state_key
    return shape


class RoomEventService:
    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        notifier: Notifier,
        state_cache: StateCache,
        recent_events: RecentEvents,
        *,
        server_name: str,
        signing_key: SigningKey,
        max_event_bytes: int,
        randomness: Randomness | None = None,
    ) -> None:
        self.storage = storage
        self.clock = clock
        self.randomness = randomness or SystemRandomness()
        self.notifier = notifier
        self.state_cache = state_cache
        self.recent_events = recent_events
        self.server_name = server_name
        self.signing_key = signing_key
        self.max_event_bytes = max_event_bytes
        self.event_checks: list[EventCheck] = []
        self.async_event_checks: list[AsyncEventCheck] = []
        self.append_hooks: list[AppendHook] = []
        # Event type -> what writes the audit entries of its state events (services/audit/room_events.py).
        self.event_auditors: dict[str, list[EventAuditor]] = {}
        # Told of every committed batch of events, after the announcement (e.g. guests leaving a room whose
        # guest access was revoked).
        self.committed_listeners: list[CommittedListener] = []
        self._room_locks: dict[str, asyncio.Lock] = {}
        # PostgreSQL one-statement sends: each room's row as of this process's latest write to it. A row made
        # stale by another process only costs one refused append (then the locked path reads it afresh).
        self._latest_rows: Lru[str, RoomRow] = Lru(_MAX_ROOM_ROWS_REMEMBERED)

    @asynccontextmanager
    async def _room_lock(self, room_id: str) -> AsyncIterator[None]:
        # SQLite runs one write transaction body at a time anyway, and holding a room lock across its
        # group commit would stop a room's sends from sharing one fsync. On PostgreSQL the lock keeps
        # this process's writers from queueing on the room row's lock.
        if self.storage.db.dialect == "sqlite":
            yield
            return
        lock = self._room_locks.setdefault(room_id, asyncio.Lock())
        try:
            async with lock:
                yield
        finally:
            if not lock.locked() and not getattr(lock, "_waiters", None):
                self._room_locks.pop(room_id, None)

    @asynccontextmanager
    async def new_room(self, version: RoomVersion) -> AsyncIterator[RoomWriter]:
        """A writer for a room that does not exist yet; the first draft must be the create event."""
        async with self.storage.db.transaction() as txn:
            writer = RoomWriter(self, txn, None, version, {}, None, 0)
            yield writer
        await self._after_commit(writer)

    @asynccontextmanager
    async def replacing(
        self, room_id: str, version: RoomVersion, new_room_id: str | None
    ) -> AsyncIterator[tuple[RoomWriter, RoomWriter]]:
        """Writers for an existing room and for its replacement (a room upgrade), in one transaction: either
        both rooms change or neither does. Append to the new room first, then to the old one (each writer's
        positions must be one unbroken run for its announcement). `new_room_id` reserves the new room's ID in
        versions where the create event does not define it."""
        async with self._room_lock(room_id), self.storage.db.transaction() as txn:
            old = await self._writer_for(txn, room_id)
            new = RoomWriter(self, txn, new_room_id, version, {}, None, 0)
            yield old, new
        await self._after_commit(new)
        await self._after_commit(old)

    @asynccontextmanager
    async def writing(self, room_id: str) -> AsyncIterator[RoomWriter]:
        """A writer for an existing room; everything appended commits together."""
        async with self._room_lock(room_id), self.storage.db.transaction() as txn:
            writer = await self._writer_for(txn, room_id)
            yield writer
        await self._after_commit(writer)

    async def _writer_for(self, txn: Connection, room_id: str) -> RoomWriter:
        room = await self.storage.rooms.get_room(room_id, txn, for_update=True)
        if room is None:
            raise not_found("Room not found")
        return await self._writer_from_row(txn, room)

    async def _writer_from_row(self, txn: Connection, room: RoomRow) -> RoomWriter:
        room_id = room.room_id
        version = _version_of(room)
        state = await self.state_cache.get(room_id, room.last_event_id, txn)
        return RoomWriter(self, txn, room_id, version, state, room.last_event_id, room.last_depth)

    async def send(
        self, room_id: str, draft: EventDraft, txn_key: TxnKey | None = None, *, unless_unchanged: bool = False
    ) -> StoredEvent:
        """Append one event; a repeated (user, device, txn_id) returns the event of the first call.

        With `unless_unchanged`, a state event its (still joined) sender already set with the same content is
        not sent again: the current one is returned (client-server API: PUT /state is idempotent)."""
        if self.storage.db.dialect == "postgres" and draft.state_key is None and draft.event_type != REDACTION:
            stored = await self._send_in_one_statement(room_id, draft, txn_key)
            if stored is not None:
                return stored
            # Another process wrote to the room meanwhile: queue up on the room's row lock instead.
        async with self._room_lock(room_id), self.storage.db.transaction() as txn:
            # The room row lock (taken here) is what serialises writers in other processes.
            writer = await self._writer_for(txn, room_id)
            if txn_key is not None:
                # Checked under the lock (before the auth checks, so a retry gets the first answer even if the
                # sender could no longer send): concurrent repeats must not create two events.
                earlier = await self._event_for_txn(txn, txn_key)
                if earlier is not None:
                    return earlier
            current = _same_state(writer.state, draft) if unless_unchanged else None
            if current is not None:
                found = await self.storage.events.get_event(current, txn)
                if found is not None:
                    return found
            stored = await writer.append(draft, txn_key)
        await self._after_commit(writer)
        return stored

    async def _send_in_one_statement(
        self, room_id: str, draft: EventDraft, txn_key: TxnKey | None
    ) -> StoredEvent | None:
        """PostgreSQL, a message-like event (no state, no redaction): build it from the room's latest event
        without a lock, then store it with one statement that succeeds only if that is still the room's latest
        event. The stream counter's row is then locked only while PostgreSQL runs that statement, not across
        round trips to this process, which is what limits how many sends per second all rooms together get.
        None when another process appended to the room first (or stored the same transaction ID)."""
        async with self._room_lock(room_id):
            room = self._latest_rows.get(room_id)
            if room is None:
                room = await self.storage.rooms.get_room(room_id)
                if room is None:
                    raise not_found("Room not found")
            writer = await self._writer_from_row(self.storage.db, room)
            event = await writer.prepare(draft)
            appended = await self.storage.events.append_if_latest(
                event,
                writer.last_event_id,
                _txn_tuple(txn_key),
                self.clock.now_ms(),
                writer.notifications[event["event_id"]],
            )
            if appended is None:
                # A retried transaction ID (answered under the lock), or a stale row: read it afresh next time.
                self._latest_rows.pop(room_id)
                return None
            self._latest_rows.put(room_id, room)
            if txn_key is not None:
                writer.txn_keys[event["event_id"]] = txn_key
            stored = writer.appended(appended, event)
        await self._after_commit(writer)
        return stored

    async def _event_for_txn(self, conn: Connection, key: TxnKey) -> StoredEvent | None:
        event_id = await self.storage.events.txn_event_id(conn, key.user_id, key.device_id, key.txn_id)
        if event_id is None:
            return None
        return await self.storage.events.get_event(event_id, conn)

    async def _after_commit(self, writer: RoomWriter) -> None:
        if not writer.written or writer.room_id is None:
            return
        known = self._latest_rows.get(writer.room_id)
        if known is not None:
            updated = replace(known, last_event_id=writer.last_event_id, last_depth=writer.depth)
            self._latest_rows.put(writer.room_id, updated)
        self.recent_events.add(
            writer.room_id,
            [
                (s, _txn_tuple(writer.txn_keys.get(s.event_id)), writer.notifications[s.event_id])
                for s in writer.written
            ],
        )
        keys = {room_key(writer.room_id, Change.EVENT)}
        for stored in writer.written:
            if isinstance(stored.event.get("content", {}).get("m.relates_to"), dict):
                keys.add(room_key(writer.room_id, Change.RELATION))
            if stored.event["type"] == "m.room.member":
                keys.add(room_key(writer.room_id, Change.MEMBERSHIP))
                keys.add(user_key(stored.event["state_key"], Change.MEMBERSHIP))
        await self.notifier.notify(writer.written[-1].pos, keys, first=writer.written[0].pos)
        for listener in self.committed_listeners:
            await listener(writer.written)

    async def current_state(self, room_id: str) -> StateMap:
        room = await self.storage.rooms.get_room(room_id)
        if room is None:
            raise not_found("Room not found")
        return await self.state_cache.get(room_id, room.last_event_id)

    async def room_version(self, room_id: str) -> RoomVersion:
        room = await self.storage.rooms.get_room(room_id)
        if room is None:
            raise not_found("Room not found")
        return _version_of(room)


def _version_of(room: RoomRow) -> RoomVersion:
    version = get_room_version(room.room_version)
    if version is None:
        raise MatrixError(500, "M_UNKNOWN", "Room has an unsupported version")
    return version


def _same_state(state: StateMap, draft: EventDraft) -> str | None:
    """The ID of the current state event `draft` would repeat: same sender (still joined), same content."""
    if draft.state_key is None:
        return None
    current = state.get((draft.event_type, draft.state_key))
    if current is None or current["sender"] != draft.sender:
        return None
    membership = state.get(("m.room.member", draft.sender))
    if membership is None or membership["content"].get("membership") != "join":
        return None
    if canonical_json(current["content"]) != canonical_json(draft.content):
        return None
    return str(current["event_id"])
