"""Content-addressed media files on disk: DATA_DIR/media/content/ab/cd/<sha256>.

A file's name is the SHA-256 of its bytes, never anything a user chose, so no request can name a path
outside the store. Uploads stream to a temporary file in the same file system and are renamed into
place once complete, so a half-written upload is never served.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import secrets
import shutil
import time
from collections.abc import AsyncIterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# Bytes gathered in memory before one write to disk: large enough to keep thread hops rare.
_WRITE_BATCH = 1024 * 1024


class UploadTooLarge(Exception):
    """The stream passed the byte limit; nothing was kept."""


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int


class MediaDisk:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.content_dir = root / "content"
        self.thumbnail_dir = root / "thumbnails"
        self.tmp_dir = root / "tmp"
        for directory in (self.content_dir, self.thumbnail_dir, self.tmp_dir):
            directory.mkdir(parents=True, exist_ok=True)

    @staticmethod
    def _checked(sha256: str) -> str:
        if not _SHA256.fullmatch(sha256):
            raise ValueError("not a SHA-256 hex digest")
        return sha256

    def content_path(self, sha256: str) -> Path:
        sha256 = self._checked(sha256)
        return self.content_dir / sha256[:2] / sha256[2:4] / sha256

    def thumbnails_of(self, sha256: str) -> Path:
        sha256 = self._checked(sha256)
        return self.thumbnail_dir / sha256[:2] / sha256[2:4] / sha256

    def new_temp_path(self) -> Path:
        return self.tmp_dir / secrets.token_hex(16)

    async def store_stream(self, chunks: AsyncIterable[bytes], max_bytes: int) -> StoredFile:
        """Write a byte stream to the store, at most `max_bytes`; raise UploadTooLarge past it."""
        temp = self.new_temp_path()
        digest = hashlib.sha256()
        size = 0
        pending: list[bytes] = []
        pending_size = 0
        handle: BinaryIO = await asyncio.to_thread(open, temp, "xb")
        try:
            async for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise UploadTooLarge()
                digest.update(chunk)
                pending.append(chunk)
                pending_size += len(chunk)
                if pending_size >= _WRITE_BATCH:
                    await asyncio.to_thread(handle.write, b"".join(pending))
                    pending, pending_size = [], 0
            if pending:
                await asyncio.to_thread(handle.write, b"".join(pending))
            await asyncio.to_thread(_flush_and_sync, handle)
        except BaseException:
            handle.close()
            temp.unlink(missing_ok=True)
            raise
        handle.close()
        sha256 = digest.hexdigest()
        await asyncio.to_thread(self._move_into_place, temp, sha256)
        return StoredFile(sha256, size)

    def _move_into_place(self, temp: Path, sha256: str) -> None:
        target = self.content_path(sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            # Same bytes already stored: keep one copy, and mark it fresh so a concurrent purge spares it.
            temp.unlink(missing_ok=True)
            os.utime(target)
            return
        os.replace(temp, target)

    def delete_content(self, sha256: str, *, not_modified_since: float | None = None) -> bool:
        """Remove a content file and its thumbnails; skip it if touched after `not_modified_since` (epoch s)."""
        path = self.content_path(sha256)
        try:
            if not_modified_since is not None and path.stat().st_mtime > not_modified_since:
                return False
            path.unlink()
        except FileNotFoundError:
            return False
        shutil.rmtree(self.thumbnails_of(sha256), ignore_errors=True)
        return True

    def clean_stale_temp_files(self, older_than_seconds: float = 86400.0) -> int:
        """Remove upload leftovers from a crash mid-upload."""
        removed = 0
        cutoff = time.time() - older_than_seconds
        for entry in self.tmp_dir.iterdir():
            try:
                if entry.stat().st_mtime < cutoff:
                    entry.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed


def _flush_and_sync(handle: BinaryIO) -> None:
    # The upload is answered with its mxc:// URI only once the bytes are durable.
    handle.flush()
    os.fsync(handle.fileno())
