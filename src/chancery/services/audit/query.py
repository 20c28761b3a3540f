"""Reading the audit log (the admin API): filtered, newest first, paged by seq. Every read is audited too."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from ...policy.audit_access import may_read_audit_log
from ...storage import Storage
from ..accounts.requester import Requester
from .actor import Actor
from .log import AuditLog
from .verify import export_log

MAX_LIMIT = 1000


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    # An exact action, or a family ending in "." ("membership." matches membership.join, .leave, ...).
    action: str | None = None
    target: str | None = None
    since: int | None = None  # ts >= since (ms)
    until: int | None = None  # ts < until (ms)
    before_seq: int | None = None  # the paging token: entries older than this seq

    def conditions(self) -> list[tuple[str, Any]]:
        where: list[tuple[str, Any]] = []
        if self.actor is not None:
            where.append(("actor_user = ?", self.actor))
        if self.action is not None and self.action.endswith("."):
            # A prefix as a range ("." + 1 is "/"), which the action index serves without LIKE's escaping.
            where += [("action >= ?", self.action), ("action < ?", self.action[:-1] + "/")]
        elif self.action is not None:
            where.append(("action = ?", self.action))
        if self.target is not None:
            where.append(("target = ?", self.target))
        if self.since is not None:
            where.append(("ts >= ?", self.since))
        if self.until is not None:
            where.append(("ts < ?", self.until))
        if self.before_seq is not None:
            where.append(("seq < ?", self.before_seq))
        return where

    def described(self) -> dict[str, Any]:
        return {name: value for name, value in self.__dict__.items() if value is not None}


class AuditQueryService:
    def __init__(self, storage: Storage, audit: AuditLog) -> None:
        self.storage = storage
        self.audit = audit

    async def check_reader(self, requester: Requester, what: str) -> Actor:
        actor = Actor.of(requester, "admin")
        decision = may_read_audit_log(requester.is_admin, await self.storage.roles.roles_of(requester.user_id))
        if not decision:
            await self.audit.record_denial(actor, "audit.read", what, decision)
            raise decision.as_error()
        return actor

    async def entries(self, requester: Requester, query: AuditFilter, limit: int) -> dict[str, Any]:
        actor = await self.check_reader(requester, "entries")
        await self.audit.record_alone(actor, "audit.read", "entries", details=query.described())
        found = await self.storage.audit.query(query.conditions(), limit + 1)
        result: dict[str, Any] = {"entries": [entry.to_json() for entry in found[:limit]]}
        if len(found) > limit:
            result["next_token"] = str(found[limit - 1].seq)
        return result

    async def export(self, requester: Requester, since_ts: int | None) -> AsyncIterator[dict[str, Any]]:
        """The export (services/audit/verify.py), after the access check; the export itself is audited."""
        actor = await self.check_reader(requester, "export")
        details = {"since": since_ts} if since_ts is not None else None
        await self.audit.record_alone(actor, "audit.export", "export", details=details)
        return export_log(self.storage, since_ts)

    async def checkpoints(self, requester: Requester, before_seq: int | None, limit: int) -> dict[str, Any]:
        actor = await self.check_reader(requester, "checkpoints")
        await self.audit.record_alone(actor, "audit.read", "checkpoints")
        found = await self.storage.audit.checkpoints(before_seq, limit + 1)
        result: dict[str, Any] = {"checkpoints": found[:limit], "public_key": self.audit.checkpointer.public_key}
        if len(found) > limit:
            result["next_token"] = str(found[limit - 1]["seq"])
        return result
