"""Spillage: a security officer marks an event as spilled (classified content in the wrong room).

One operation: the recipients are read from the delivery records (devices whose /sync responses reached the
event while their owner was in the room, or joined later; who downloaded its media), the event is redacted (an
m.room.redaction so that clients drop it too, sent as its own sender while joined, else as the joined local
member with the most power who may redact; when nobody can, its content is pruned in place), its media rows
and files are deleted, the freed database space is scrubbed, and the report is kept and returned.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ...clock import Clock
from ...errors import invalid_param, not_found
from ...events.builder import EventDraft
from ...events.media_refs import local_media_ids
from ...events.power_levels import action_level, user_power_level
from ...events.redaction import prune_event
from ...events.room_versions import RoomVersion
from ...media.disk import MediaDisk
from ...storage import Storage
from ...storage.events import StoredEvent
from ...storage.stream import next_position
from ..audit import Actor, AuditLog
from ..audit.actor import current_actor
from ..devices.activity import FLUSH_INTERVAL_S, DeviceActivity
from ..notifier import Change, Notifier, room_key
from ..rooms.events import RoomEventService
from ..rooms.serialize import EventSerializer
from ..rooms.state_cache import StateMap

REASON = "Removed by a security officer (spillage)"


def choose_redactor(sender: str, state: StateMap, version: RoomVersion, server_name: str) -> str | None:
    """Who can redact the event now: its sender while joined, else the most powerful joined local member
    whose power reaches the redact level; None when nobody can."""
    joined = [
        key[1]
        for key, event in state.items()
        if key[0] == "m.room.member"
        and event.get("content", {}).get("membership") == "join"
        and key[1].endswith(f":{server_name}")
    ]
    if sender in joined:
        return sender
    needed = action_level("redact", state)
    able = [(user_power_level(u, state, version), u) for u in joined if user_power_level(u, state, version) >= needed]
    return max(able)[1] if able else None


class SpillageService:
    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        notifier: Notifier,
        room_events: RoomEventService,
        serializer: EventSerializer,
        activity: DeviceActivity,
        disk: MediaDisk,
        audit: AuditLog,
        *,
        server_name: str,
    ) -> None:
        self.storage = storage
        self.audit = audit
        self.clock = clock
        self.notifier = notifier
        self.room_events = room_events
        self.serializer = serializer
        self.activity = activity
        self.disk = disk
        self.server_name = server_name

    async def record_download(self, user_id: str, device_id: str, server_name: str, media_id: str) -> None:
        """A delivery record: this device fetched this media (or a thumbnail of it)."""
        if server_name == self.server_name:
            await self.storage.retention.record_download(media_id, user_id, device_id, self.clock.now_ms())

    async def mark(
        self, officer: str, room_id: str, event_id: str, also_media: list[str] | None = None
    ) -> dict[str, Any]:
        """The whole operation, audited as one `spillage.mark` entry (outcome "failed" if it broke off).
        `also_media`: mxc:// URIs of this server the event carries where the server cannot see them (an
        encrypted attachment, named by the officer from a client that decrypted it)."""
        extra = set()
        for uri in also_media or []:
            found = local_media_ids({"url": uri}, self.server_name) if isinstance(uri, str) else set()
            if not found:
                raise invalid_param("media must be mxc:// URIs of this server")
            extra |= found
        stored = await self.storage.events.get_event(event_id)
        if stored is None or stored.event.get("room_id") != room_id:
            raise not_found("Event not found in this room")
        actor = current_actor() or Actor.cli()
        try:
            report = await self._mark(officer, stored, extra)
        except Exception:
            await self.audit.record_alone(
                actor, "spillage.mark", event_id, outcome="failed", details={"room_id": room_id}
            )
            raise
        recipients = report["recipients"]
        details = {
            "room_id": room_id,
            "users": recipients["users"],
            "devices": [f"{d['user_id']}|{d['device_id']}" for d in recipients["devices"]],
            "media_removed": report["media_removed"],
            "redaction_event_id": report["redaction_event_id"],
        }
        await self.audit.record_alone(actor, "spillage.mark", event_id, details=details)
        return report

    async def _mark(self, officer: str, stored: StoredEvent, extra_media: set[str]) -> dict[str, Any]:
        room_id, event_id = stored.event["room_id"], stored.event_id
        media_ids = sorted(local_media_ids(stored.event.get("content"), self.server_name) | extra_media)
        # This process's delivery notes now; every other process (workers, a running server when this is the
        # command line) writes its notes within FLUSH_INTERVAL_S: wait that long so the report misses no one.
        await self.activity.flush()
        await asyncio.sleep(FLUSH_INTERVAL_S + 0.5)
        devices = await self.storage.retention.devices_synced_past(room_id, stored.pos)
        downloads = await self.storage.retention.downloads_of(media_ids) if media_ids else []
        recipients = {
            "users": sorted({u for u, _ in devices} | {u for _, u, _ in downloads}),
            "devices": [{"user_id": u, "device_id": d} for u, d in devices],
            "media_downloads": [{"media_id": m, "user_id": u, "device_id": d} for m, u, d in downloads],
        }
        redaction_id = None if stored.redacted else await self._redact(stored.event)
        files = await self._delete_media(media_ids)
        self.serializer.forget(event_id)
        await self.storage.retention.scrub_freed_space()
        await self.storage.retention.record_spillage(event_id, room_id, officer, self.clock.now_ms(), recipients)
        return {
            "event_id": event_id,
            "room_id": room_id,
            "redaction_event_id": redaction_id,
            "media_removed": media_ids,
            "files_removed": files,
            "recipients": recipients,
        }

    async def _redact(self, event: dict[str, Any]) -> str | None:
        room_id = event["room_id"]
        state = await self.room_events.current_state(room_id)
        version = await self.room_events.room_version(room_id)
        redactor = choose_redactor(event["sender"], state, version, self.server_name)
        if redactor is not None:
            draft = EventDraft("m.room.redaction", redactor, {"reason": REASON}, redacts=event["event_id"])
            return (await self.room_events.send(room_id, draft)).event_id
        # Nobody left who may redact: prune the stored content all the same (clients are not told).
        pruned = prune_event(event, version)
        pruned["event_id"], pruned["room_id"] = event["event_id"], room_id
        async with self.storage.db.transaction() as txn:
            await self.storage.events.replace_with_redacted(txn, event["event_id"], pruned, "")
            pos = await next_position(txn)
        await self.notifier.notify(pos, [room_key(room_id, Change.EVENT)])
        return None

    async def _delete_media(self, media_ids: list[str]) -> int:
        """Delete the media rows (whoever holds them: a spill overrides legal hold) and their files."""
        files = 0
        async with self.storage.db.transaction() as txn:
            for sha256 in set(await self.storage.retention.delete_media(txn, media_ids, set())):
                if not await self.storage.retention.content_referenced(txn, sha256):
                    files += self.disk.delete_content(sha256)
        return files
