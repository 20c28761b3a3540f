"""Where each administrator's change is recorded: one `record` call per action, inside the change's own
transaction when it has one. The audit log (services.audit) subscribes in install_admin."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

from ...storage.database import Connection
from ..accounts.requester import Requester

# (transaction or None when the change spans several, administrator, action, target, details)
AuditHook = Callable[[Connection | None, Requester, str, str, dict[str, Any]], Awaitable[None]]


class AdminAudit:
    def __init__(self) -> None:
        self.hooks: list[AuditHook] = []

    async def record(
        self, txn: Connection | None, admin: Requester, action: str, target: str, details: dict[str, Any] | None = None
    ) -> None:
        """Details name what changed, never secrets (passwords, tokens) or message content."""
        for hook in self.hooks:
            await hook(txn, admin, action, target, details or {})


def fingerprint(secret: str) -> str:
    """How the audit log names a secret (a registration token): enough to match entries, nothing to use."""
    return hashlib.sha256(secret.encode()).hexdigest()[:16]
