"""The admin API's entries in the audit log: each administrator's change, inside the change's own
transaction when it has one, attributed to the administrator (via "admin")."""

from __future__ import annotations

import hashlib
from typing import Any

from ...storage.database import Connection
from ..accounts.requester import Requester
from ..audit import Actor, AuditLog


class AdminAudit:
    def __init__(self, log: AuditLog) -> None:
        self.log = log

    async def record(
        self, txn: Connection | None, admin: Requester, action: str, target: str, details: dict[str, Any] | None = None
    ) -> None:
        """Details name what changed, never secrets (passwords, tokens) or message content. Without `txn`
        (a change that spans several transactions) the entry is written on its own."""
        actor = actor_of(admin)
        if txn is None:
            await self.log.record_alone(actor, action, target, details=details)
        else:
            await self.log.record(txn, actor, action, target, details=details)


def actor_of(admin: Requester) -> Actor:
    return Actor.of(admin, "admin")


def token_sha256(secret: str) -> str:
    """How the audit log names a registration token (as registration does): identifies it, cannot be used."""
    return hashlib.sha256(secret.encode()).hexdigest()
