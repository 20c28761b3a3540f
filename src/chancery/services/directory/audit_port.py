"""How the directory writes to the audit log (services.audit, issue 13), one call per action.

`Actor` is the audit contract's shape (user, device, address, via); until the audit log is merged the
directory builds its own actors with `Acting` and `AuditPort` records nothing. Merging replaces both with
`chancery.services.audit.Actor` and `services.audit`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

from ...storage.database import Connection

Via = Literal["client", "admin", "cli", "server"]


class Actor(Protocol):
    @property
    def user_id(self) -> str | None: ...
    @property
    def via(self) -> Via: ...


@dataclass(frozen=True)
class Acting:
    user_id: str | None
    device_id: str | None = None
    ip: str | None = None
    via: Via = "client"
    job: str | None = None


def actor_name(actor: Actor) -> str:
    """Who acted, as the directory history records it."""
    return actor.user_id or actor.via


class AuditPort:
    def __init__(self, audit: Any = None) -> None:
        self.audit = audit

    async def record(
        self, txn: Connection, actor: Actor, action: str, target: str, details: dict[str, Any] | None = None
    ) -> None:
        if self.audit is not None:
            await self.audit.record(txn, actor, action, target, details=details)

    async def record_alone(
        self, actor: Actor, action: str, target: str, *, outcome: str = "allowed", details: dict[str, Any] | None = None
    ) -> None:
        if self.audit is not None:
            await self.audit.record_alone(actor, action, target, outcome=outcome, details=details)
