"""Signed checkpoints of the audit chain, and the audit log's own retention.

A checkpoint is written inside the transaction of every `checkpoint_every`-th entry, and by a timer when
entries were added but none was checkpointed for `checkpoint_seconds`. Retention deletes old entries only up
to a checkpoint, which then anchors the rest of the chain, so verification keeps passing.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from signedjson.types import SigningKey

from ...clock import Clock
from ...config.audit import AuditConfig
from ...config.sections import ConfigError
from ...events.audit_chain import checkpoint
from ...events.signing import new_signing_key, signing_key_from_text, signing_key_to_text, verify_key_base64
from ...storage import Storage
from ...storage.database import Connection
from ..periodic import Periodic

if TYPE_CHECKING:
    from .log import AuditLog

log = logging.getLogger(__name__)

PRUNE_INTERVAL_MS = 3_600_000


def audit_signing_key(config: AuditConfig, data_dir: Path, server_key: SigningKey) -> SigningKey:
    """The key that signs checkpoints: `[audit] signing_key_path` (relative to the data directory; created at
    first use, like the server's key), else the server's own signing key."""
    if not config.signing_key_path:
        return server_key
    path = data_dir / config.signing_key_path
    try:
        if not path.exists():
            key = new_signing_key("audit")
            path.touch(mode=0o600)
            path.write_text(signing_key_to_text(key) + "\n", encoding="utf-8")
            return key
        return signing_key_from_text(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"audit.signing_key_path: cannot use {path}: {exc}") from exc


class Checkpointer:
    def __init__(self, storage: Storage, clock: Clock, config: AuditConfig, server_name: str, key: SigningKey) -> None:
        self.storage = storage
        self.clock = clock
        self.config = config
        self.server_name = server_name
        self.key = key

    @property
    def public_key(self) -> dict[str, str]:
        return {"key_id": f"{self.key.alg}:{self.key.version}", "key": verify_key_base64(self.key)}

    def due(self, seq: int) -> bool:
        return seq % self.config.checkpoint_every == 0

    async def write(self, txn: Connection, seq: int, hash_: str) -> None:
        """Sign (seq, hash) of the chain as it stands in `txn` (which holds the tail lock)."""
        now = self.clock.now_ms()
        await self.storage.audit.add_checkpoint(
            txn, seq, now, hash_, checkpoint(self.server_name, seq, hash_, now, self.key)
        )

    async def checkpoint_now(self) -> int | None:
        """Checkpoint the chain's current end unless it already is; the seq checkpointed, or None."""
        async with self.storage.db.transaction() as txn:
            seq, hash_ = await self.storage.audit.lock_tail(txn)
            latest = await self.storage.audit.latest_checkpoint(txn)
            if seq == 0 or (latest is not None and latest[0] >= seq):
                return None
            await self.write(txn, seq, hash_)
            return seq

    async def checkpoint_if_stale(self) -> int | None:
        """The timer's job: a checkpoint when entries are newer than `checkpoint_seconds` allows."""
        latest = await self.storage.audit.latest_checkpoint()
        tail_seq = (await self.storage.audit.tail())[0]
        if latest is not None and (
            latest[0] >= tail_seq or self.clock.now_ms() - latest[1] < self.config.checkpoint_seconds * 1000
        ):
            return None
        return await self.checkpoint_now()


class AuditJobs:
    """The server's periodic audit work: time-based checkpoints and the audit log's own retention."""

    def __init__(self, audit: AuditLog, config: AuditConfig) -> None:
        self.audit = audit
        self.config = config
        self._last_prune_ms = 0

    def background_jobs(self) -> list[Periodic]:
        seconds = self.config.checkpoint_seconds
        return [Periodic("audit", min(seconds, 60) if seconds else 60, self.run_once)]

    async def run_once(self) -> None:
        if self.config.checkpoint_seconds:
            await self.audit.checkpointer.checkpoint_if_stale()
        now = self.audit.clock.now_ms()
        if self.config.retention_days and now - self._last_prune_ms >= PRUNE_INTERVAL_MS:
            self._last_prune_ms = now
            await self.audit.prune_older_than(self.config.retention_days)
