"""The media repository: uploads (direct and create-then-upload), downloads, thumbnails, quarantine, purge.

Access rule: only authenticated local users reach these operations (the routes require a token), and
only media of this server exist (there is no federation fetch). Quarantined media is never served.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterable, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..clock import Clock, Randomness
from ..config import Config
from ..errors import MatrixError, forbidden, invalid_param, limit_exceeded, not_found, too_large
from ..media.disk import MediaDisk, UploadTooLarge
from ..media.headers import clean_content_type, clean_filename, essence_of
from ..media.thumbnailer import (
    MAX_CACHED_VARIANTS,
    MAX_DIMENSION,
    Thumbnail,
    Thumbnailer,
    ThumbnailError,
    ThumbnailSpec,
    ThumbnailTooLarge,
    cached_variant_count,
)
from ..storage import Storage
from ..storage.database import Connection
from ..storage.media import MediaRecord, UploadedContent
from .accounts.requester import Requester
from .audit import Actor, AuditLog
from .audit.actor import current_actor

if TYPE_CHECKING:
    from .container import Services

log = logging.getLogger(__name__)

# Spec: media IDs are [A-Za-z0-9_-]; anything else (dots, slashes, percent-escapes) is refused outright.
_MEDIA_ID = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
MEDIA_ID_BYTES = 24  # 192 random bits, URL-safe base64 (the spec's alphabet exactly)
PENDING_EXPIRY_MS = 24 * 3600 * 1000  # the spec's recommended lifetime of an unused created ID
MAX_PENDING_PER_USER = 20
MAX_WAIT_MS = 60_000
_POLL_SECONDS = 0.5
# Sizes served when a file already has its quota of cached sizes (Synapse's defaults; the spec's list).
STANDARD_SIZES = (
    ThumbnailSpec(32, 32, "crop", False),
    ThumbnailSpec(96, 96, "crop", False),
    ThumbnailSpec(320, 240, "scale", False),
    ThumbnailSpec(640, 480, "scale", False),
    ThumbnailSpec(800, 600, "scale", False),
)


@dataclass(frozen=True)
class MediaFile:
    """What the HTTP layer needs to serve some bytes."""

    path: Path
    content_type: str
    filename: str | None


@dataclass(frozen=True)
class PurgeReport:
    media_ids: list[str]
    files_removed: int
    bytes_removed: int


class MediaService:
    def __init__(self, config: Config, storage: Storage, clock: Clock, randomness: Randomness, audit: AuditLog) -> None:
        self.server_name = config.server_name
        self.db = storage.db
        self.audit = audit
        self.max_upload_bytes = config.max_upload_bytes
        self.quota_bytes = config.media_quota_bytes
        self.legacy_endpoints = config.legacy_media_endpoints
        self.store = storage.media
        self.clock = clock
        self.randomness = randomness
        self.disk = MediaDisk(config.data_dir / "media")
        self.thumbnailer = Thumbnailer(
            max_pixels=config.thumbnail_max_pixels,
            max_frames=config.thumbnail_max_frames,
            timeout_seconds=config.thumbnail_timeout_seconds,
        )
        self._uploaded: dict[str, asyncio.Event] = {}
        # Institution rules on who may fetch a file (e.g. files of classified rooms), given the caller (None on
        # the unauthenticated legacy endpoints) and the media ID; each raises a Matrix error to refuse.
        self.read_checks: list[Callable[[Requester | None, str], Awaitable[None]]] = []

    def mxc(self, media_id: str) -> str:
        return f"mxc://{self.server_name}/{media_id}"

    # -- uploads ------------------------------------------------------------------------------------

    async def check_upload_allowed(self, user_id: str, declared_length: int | None) -> int:
        """Refuse early from Content-Length; return how many bytes this upload may stream at most."""
        if declared_length is not None and declared_length > self.max_upload_bytes:
            raise too_large(f"Uploads are limited to {self.max_upload_bytes} bytes")
        room = self.quota_bytes - await self.store.usage_of(user_id)
        if room <= 0 or (declared_length is not None and declared_length > room):
            raise forbidden("Your media storage quota is used up")
        return min(self.max_upload_bytes, room)

    async def _store_stream(self, user_id: str, chunks: AsyncIterable[bytes], limit: int) -> tuple[str, int]:
        try:
            stored = await self.disk.store_stream(chunks, limit)
        except UploadTooLarge as exc:
            if limit < self.max_upload_bytes:
                raise forbidden("Your media storage quota is used up") from exc
            raise too_large(f"Uploads are limited to {self.max_upload_bytes} bytes") from exc
        if await self.store.content_quarantined(stored.sha256):
            # Quarantine applies to the bytes: they do not come back under a new media ID.
            log.warning("upload of quarantined content refused", extra={"user_id": user_id})
            raise forbidden("This content has been quarantined")
        return stored.sha256, stored.size

    async def do_upload(
        self,
        user_id: str,
        chunks: AsyncIterable[bytes],
        content_type: str | None,
        filename: str | None,
        declared_length: int | None,
    ) -> str:
        """POST /upload: store the bytes under a new media ID; return its mxc:// URI."""
        limit = await self.check_upload_allowed(user_id, declared_length)
        sha256, size = await self._store_stream(user_id, chunks, limit)
        media_id = self.randomness.token(MEDIA_ID_BYTES)
        content = UploadedContent(sha256, size, clean_content_type(content_type), clean_filename(filename))
        async with self.db.transaction() as txn:
            await self._audit_upload(txn, user_id, media_id, content)
            await self.store.insert_uploaded(txn, media_id, user_id, content, self.clock.now_ms())
        log.info("media uploaded", extra={"media_id": media_id, "size": size})
        return self.mxc(media_id)

    async def do_create(self, user_id: str) -> tuple[str, int]:
        """POST /create: reserve a media ID for a later upload; return (mxc URI, unused_expires_at)."""
        now = self.clock.now_ms()
        if await self.store.count_pending(user_id, now) >= MAX_PENDING_PER_USER:
            raise limit_exceeded(60_000)
        media_id = self.randomness.token(MEDIA_ID_BYTES)
        expires = now + PENDING_EXPIRY_MS
        await self.store.insert_pending(media_id, user_id, now, expires)
        return self.mxc(media_id), expires

    async def check_pending_upload(self, user_id: str, server_name: str, media_id: str) -> None:
        """Before reading a PUT body: the ID must be ours, created by this user, unexpired and still empty."""
        record = await self._local_record(server_name, media_id)
        if record is None:
            raise not_found("Unknown media ID")
        if record.uploader != user_id:
            raise forbidden("Only the user who created this media ID may upload to it")
        if record.is_uploaded:
            raise MatrixError(409, "M_CANNOT_OVERWRITE_MEDIA", "Media already uploaded")
        if record.expires_ts is not None and record.expires_ts <= self.clock.now_ms():
            raise not_found("This media ID has expired")

    async def do_upload_to(
        self,
        user_id: str,
        server_name: str,
        media_id: str,
        chunks: AsyncIterable[bytes],
        content_type: str | None,
        filename: str | None,
        declared_length: int | None,
    ) -> None:
        """PUT /upload/{serverName}/{mediaId}: fill a created ID, once."""
        await self.check_pending_upload(user_id, server_name, media_id)
        limit = await self.check_upload_allowed(user_id, declared_length)
        sha256, size = await self._store_stream(user_id, chunks, limit)
        content = UploadedContent(sha256, size, clean_content_type(content_type), clean_filename(filename))
        async with self.db.transaction() as txn:
            completed = await self.store.complete_pending(txn, media_id, user_id, content, self.clock.now_ms())
            if completed:
                await self._audit_upload(txn, user_id, media_id, content)
        if not completed:
            # A concurrent upload won, or the ID expired meanwhile; our copy of the bytes is left to purge.
            await self.check_pending_upload(user_id, server_name, media_id)
            raise MatrixError(409, "M_CANNOT_OVERWRITE_MEDIA", "Media already uploaded")
        event = self._uploaded.pop(media_id, None)
        if event is not None:
            event.set()

    async def _audit_upload(self, txn: Connection, user_id: str, media_id: str, content: UploadedContent) -> None:
        actor = current_actor() or Actor(user_id)
        details = {"size": content.size, "content_type": content.content_type, "sha256": content.sha256}
        await self.audit.record(txn, actor, "media.upload", self.mxc(media_id), details=details)

    # -- downloads ----------------------------------------------------------------------------------

    async def _local_record(self, server_name: str, media_id: str) -> MediaRecord | None:
        if not _MEDIA_ID.fullmatch(media_id):
            raise invalid_param("Invalid media ID")
        if server_name != self.server_name:
            # No federation: remote media cannot be fetched.
            raise not_found("Media not found")
        return await self.store.get(media_id)

    async def _uploaded_record(self, server_name: str, media_id: str, timeout_ms: int) -> MediaRecord:
        """The media row once its bytes exist: waits up to timeout_ms for a pending upload, then 504."""
        deadline = time.monotonic() + min(max(timeout_ms, 0), MAX_WAIT_MS) / 1000
        while True:
            record = await self._local_record(server_name, media_id)
            if record is None or record.quarantined:
                raise not_found("Media not found")
            if record.is_uploaded:
                return record
            if record.expires_ts is not None and record.expires_ts <= self.clock.now_ms():
                raise not_found("Media not found")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._uploaded.pop(media_id, None)
                raise MatrixError(504, "M_NOT_YET_UPLOADED", "The content has not been uploaded yet")
            # Woken at once by an upload in this process; polling covers uploads through other processes.
            event = self._uploaded.setdefault(media_id, asyncio.Event())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), min(remaining, _POLL_SECONDS))

    async def get_download(
        self,
        server_name: str,
        media_id: str,
        timeout_ms: int,
        filename_override: str | None,
        requester: Requester | None = None,
    ) -> MediaFile:
        record = await self._uploaded_record(server_name, media_id, timeout_ms)
        await self._check_read(requester, media_id)
        assert record.sha256 is not None
        path = self.disk.content_path(record.sha256)
        if not path.exists():
            log.warning("media file missing from disk", extra={"media_id": media_id})
            raise not_found("Media not found")
        content_type = clean_content_type(record.content_type)
        filename = clean_filename(filename_override) or record.upload_name
        return MediaFile(path, content_type, filename)

    async def _check_read(self, requester: Requester | None, media_id: str) -> None:
        for check in self.read_checks:
            await check(requester, media_id)

    async def get_thumbnail(
        self,
        server_name: str,
        media_id: str,
        spec: ThumbnailSpec,
        timeout_ms: int,
        requester: Requester | None = None,
    ) -> Thumbnail:
        if spec.method not in ("scale", "crop"):
            raise invalid_param("method must be 'scale' or 'crop'")
        if spec.width < 1 or spec.height < 1:
            raise invalid_param("width and height must be positive")
        spec = ThumbnailSpec(
            min(spec.width, MAX_DIMENSION), min(spec.height, MAX_DIMENSION), spec.method, spec.animated
        )
        record = await self._uploaded_record(server_name, media_id, timeout_ms)
        await self._check_read(requester, media_id)
        assert record.sha256 is not None
        content_type = essence_of(clean_content_type(record.content_type))
        if not self.thumbnailer.can_thumbnail(content_type):
            raise MatrixError(400, "M_UNKNOWN", "Cannot generate thumbnails for this content type")
        cache_dir = self.disk.thumbnails_of(record.sha256)
        if cached_variant_count(cache_dir) >= MAX_CACHED_VARIANTS:
            spec = _standard_size_for(spec)
        try:
            return await self.thumbnailer.thumbnail(
                self.disk.content_path(record.sha256), content_type, cache_dir, spec
            )
        except ThumbnailTooLarge as exc:
            raise too_large(str(exc)) from exc
        except ThumbnailError as exc:
            raise MatrixError(400, "M_UNKNOWN", str(exc)) from exc
        except FileNotFoundError as exc:
            raise not_found("Media not found") from exc

    # -- administration -----------------------------------------------------------------------------

    async def do_quarantine(self, admin_user_id: str, server_name: str, media_id: str) -> None:
        record = await self._local_record(server_name, media_id)
        if record is None:
            raise not_found("Media not found")
        async with self.db.transaction() as txn:
            actor = current_actor() or Actor(admin_user_id, via="admin")
            await self.audit.record(txn, actor, "media.quarantine", self.mxc(media_id))
            await self.store.set_quarantined(txn, media_id, admin_user_id)
        log.warning("media quarantined", extra={"media_id": media_id, "by": admin_user_id})

    async def purge_older_than(self, days: float) -> PurgeReport:
        """Delete media created more than `days` ago (and expired unused IDs), then their unreferenced files."""
        now = self.clock.now_ms()
        cutoff_ms = now - int(days * 86400 * 1000)
        async with self.db.transaction() as txn:
            deleted = await self.store.delete_older_than(txn, cutoff_ms, now)
            if deleted:
                actor = current_actor() or Actor.server("media_purge")
                details = {"cutoff_ts": cutoff_ms, "media": len(deleted)}
                await self.audit.record(txn, actor, "media.purge", None, details=details)
        files = 0
        freed = 0
        for sha256 in {record.sha256 for record in deleted if record.sha256 is not None}:
            if await self.store.is_content_referenced(sha256):
                continue
            size = next(record.size or 0 for record in deleted if record.sha256 == sha256)
            # A file re-uploaded after the cutoff was touched by that upload: it stays.
            if self.disk.delete_content(sha256, not_modified_since=cutoff_ms / 1000):
                files += 1
                freed += size
        self.disk.clean_stale_temp_files()
        return PurgeReport([record.media_id for record in deleted], files, freed)


def _standard_size_for(spec: ThumbnailSpec) -> ThumbnailSpec:
    same_method = [size for size in STANDARD_SIZES if size.method == spec.method]
    for size in same_method:
        if size.width >= spec.width and size.height >= spec.height:
            return size
    return same_method[-1]


def install_media(services: Services) -> None:
    """Wire the media repository into the services (called once from app.build_services)."""
    services.media = MediaService(
        services.config, services.storage, services.clock, services.randomness, services.audit
    )
