"""The retention purge: deletes messages older than their room's lifetime, in small batches.

Each batch is one short transaction: the expired events, the events that would dangle without them
(relations to them, redactions of them), what is derived from them (search index, mentions, receipts on
them, redaction and transaction records), and the media they posted, whose files are removed from disk in
the same transaction (a crash before commit leaves rows whose next run removes them; no file outlives its
row). Nothing needs remembering between batches, so a purge killed at any point simply continues at its
next run. State events, each room's latest event and everything under legal hold stay. A pause between
batches leaves the database to sends and syncs. On PostgreSQL one process of a deployment purges at a time
(an advisory lock); the others skip their turn.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from ...clock import Clock
from ...config.retention import LifetimePolicy, RetentionConfig
from ...events.media_refs import local_media_ids
from ...media.disk import MediaDisk
from ...policy.retention import max_lifetime_ms, room_lifetimes
from ...storage import Storage
from ...storage.retention import RoomPolicyInputs, ScannedEvent
from ...storage.stream import next_position
from ..audit import Actor, AuditLog
from ..audit.actor import current_actor
from ..notifier import Change, Notifier, room_key
from .policies import RetentionPolicyService

log = logging.getLogger(__name__)

PAUSE_BETWEEN_BATCHES_S = 0.02
_MAX_DEPENDANT_ROUNDS = 8  # reactions to edits of replies ...: a few levels; deeper ones go at the next run


@dataclass
class PurgeReport:
    events: int = 0
    media: int = 0
    files: int = 0
    skipped: bool = False  # another process held the purge lock


class RetentionPurge:
    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        notifier: Notifier,
        config: RetentionConfig,
        policies: RetentionPolicyService,
        disk: MediaDisk,
        audit: AuditLog,
        *,
        server_name: str,
    ) -> None:
        self.storage = storage
        self.audit = audit
        self.clock = clock
        self.notifier = notifier
        self.config = config
        self.policies = policies
        self.disk = disk
        self.server_name = server_name

    @staticmethod
    def lifetime_of(room: RoomPolicyInputs, policy_for: Callable[[str | None], LifetimePolicy]) -> int | None:
        level = room.classification.get("level") if room.classification else None
        policy = policy_for(level if isinstance(level, str) else None)
        room_max, room_min = room_lifetimes(room.retention)
        return max_lifetime_ms(room_max, room_min, policy.default_days, policy.max_days)

    async def run(self) -> PurgeReport:
        report = PurgeReport()
        async with self.storage.retention.purge_lock() as ours:
            if not ours:
                report.skipped = True
                return report
            held_users = await self.storage.retention.held("user")
            policy_for = await self.policies.lookup()
            for room in await self.storage.retention.rooms_not_held():
                lifetime = self.lifetime_of(room, policy_for)
                if lifetime is not None:
                    await self._purge_room(room, self.clock.now_ms() - lifetime, held_users, report)
        if report.events:
            log.info("retention purge", extra={"events": report.events, "media": report.media})
        return report

    async def _purge_room(
        self, room: RoomPolicyInputs, cutoff_ts: int, held_users: set[str], report: PurgeReport
    ) -> None:
        """Walk the room from its start until the first message young enough to keep (messages are stored in
        the order of their timestamps)."""
        batch_size = self.config.batch_size
        scan_size = batch_size * 4  # state events, kept, are walked over too
        after = 0
        while True:
            scanned = await self.storage.retention.scan(room.room_id, after, scan_size)
            doomed: list[ScannedEvent] = []
            reached_young = False
            for event in scanned:
                if event.is_state:  # kept whatever their age, and no guide to it either
                    after = event.pos
                    continue
                if event.ts >= cutoff_ts:
                    reached_young = True
                    break
                after = event.pos
                if not (event.event_id == room.last_event_id or event.sender in held_users):
                    doomed.append(event)
                    if len(doomed) == batch_size:
                        break
            if doomed:
                await self._purge_batch(room, doomed, held_users, report)
                await asyncio.sleep(PAUSE_BETWEEN_BATCHES_S)
            if reached_young or (len(scanned) < scan_size and len(doomed) < batch_size):
                return

    async def _purge_batch(
        self, room: RoomPolicyInputs, doomed: list[ScannedEvent], held_users: set[str], report: PurgeReport
    ) -> None:
        store = self.storage.retention
        async with self.storage.db.transaction() as txn:
            chosen = {event.event_id: event for event in doomed}
            frontier = list(chosen)
            for _ in range(_MAX_DEPENDANT_ROUNDS):
                found = [
                    d
                    for d in await store.dependants(txn, frontier)
                    if d.event_id not in chosen and d.sender not in held_users and d.event_id != room.last_event_id
                ]
                if not found:
                    break
                chosen.update((d.event_id, d) for d in found)
                frontier = [d.event_id for d in found]
            positions = sorted(event.pos for event in chosen.values())
            media_ids: set[str] = set()
            for event in await store.event_json(txn, positions):
                media_ids |= local_media_ids(event.get("content"), self.server_name)
            files = await store.delete_media(txn, sorted(media_ids), held_users)
            await store.delete_events(txn, positions, list(chosen))
            removed = 0
            for sha256 in set(files):
                if not await store.content_referenced(txn, sha256):
                    removed += self.disk.delete_content(sha256)
            details = {"events": len(positions), "media": len(files), "files": removed}
            actor = current_actor() or Actor.server("retention")
            await self.audit.record(txn, actor, "retention.purge", room.room_id, details=details)
            # Announced as a change of the room's events: every process drops what it holds of them.
            pos = await next_position(txn)
        await self.notifier.notify(pos, [room_key(room.room_id, Change.EVENT)])
        report.events += len(positions)
        report.media += len(files)
        report.files += removed
