"""The audit log writer: one hash-chained entry per security-relevant action.

`record` writes inside the caller's transaction, so the entry commits or rolls back with the change it
describes; `record_alone` and `record_denial` write in a transaction of their own (a refused action changes
nothing else). Entries never hold message content, secrets, tokens or passwords.
"""

from __future__ import annotations

import re
from typing import Any

from ...clock import Clock
from ...events.audit_chain import Entry, entry_hash
from ...policy.decision import Decision
from ...storage import Storage
from ...storage.database import Connection
from .actor import Actor
from .checkpoints import Checkpointer

_ACTION = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*")
OUTCOMES = frozenset({"allowed", "denied", "failed"})
# Keys that would carry a secret or message content; refusing them catches a careless caller early.
_FORBIDDEN_DETAIL_KEYS = frozenset(
    {"password", "new_password", "access_token", "refresh_token", "token", "secret", "body", "content"}
)


def _check(action: str, outcome: str, details: dict[str, Any] | None) -> None:
    if not _ACTION.fullmatch(action):
        raise ValueError(f"audit action {action!r} is not a dotted lowercase name")
    if outcome not in OUTCOMES:
        raise ValueError(f"audit outcome {outcome!r} is not one of {sorted(OUTCOMES)}")
    if details is not None and _FORBIDDEN_DETAIL_KEYS & details.keys():
        raise ValueError(f"audit details must not carry {sorted(_FORBIDDEN_DETAIL_KEYS & details.keys())}")


DAY_MS = 86_400_000


class AuditLog:
    def __init__(self, storage: Storage, clock: Clock, checkpointer: Checkpointer) -> None:
        self.storage = storage
        self.clock = clock
        self.checkpointer = checkpointer

    async def record(
        self,
        txn: Connection,
        actor: Actor,
        action: str,
        target: str | None,
        *,
        outcome: str = "allowed",
        reason: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> Entry:
        """Append an entry inside `txn` (a write transaction), before the change's stream positions are taken."""
        _check(action, outcome, details)
        now = self.clock.now_ms()

        def build(seq: int, prev_hash: str) -> Entry:
            body: dict[str, Any] = {
                "seq": seq,
                "ts": now,
                "user_id": actor.user_id,
                "device_id": actor.device_id,
                "ip": actor.ip,
                "via": actor.via,
                "job": actor.job,
                "action": action,
                "target": target,
                "outcome": outcome,
                "reason": reason,
                "details": details,
                "prev_hash": prev_hash,
            }
            return Entry(**body, hash=entry_hash(body))

        entry = await self.storage.audit.append(txn, build)
        if self.checkpointer.due(entry.seq):
            await self.checkpointer.write(txn, entry.seq, entry.hash)
        return entry

    async def record_alone(
        self,
        actor: Actor,
        action: str,
        target: str | None,
        *,
        outcome: str = "allowed",
        reason: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> Entry:
        """Append an entry in a transaction of its own (an action with no other write, or a refusal)."""
        async with self.storage.db.transaction() as txn:
            return await self.record(txn, actor, action, target, outcome=outcome, reason=reason, details=details)

    async def record_denial(
        self, actor: Actor, action: str, target: str | None, decision: Decision, details: dict[str, Any] | None = None
    ) -> Entry:
        """A policy refusal of `action`, with the decision's reason."""
        return await self.record_alone(actor, action, target, outcome="denied", reason=decision.reason, details=details)

    async def prune_older_than(self, days: int) -> int:
        """Delete entries older than `days` up to the newest checkpoint among them (which then anchors the
        chain); the number deleted. The pruning is itself an entry."""
        cutoff = self.clock.now_ms() - days * DAY_MS
        async with self.storage.db.transaction() as txn:
            await self.storage.audit.lock_tail(txn)
            found = await self.storage.audit.prunable_checkpoint(txn, cutoff)
            if found is None:
                return 0
            deleted = await self.storage.audit.prune_upto(txn, *found)
            if deleted:
                details = {"upto_seq": found[0], "entries": deleted, "retention_days": days}
                await self.record(txn, Actor.server("audit_retention"), "audit.prune", None, details=details)
            return deleted
