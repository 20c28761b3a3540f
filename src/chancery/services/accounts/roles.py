"""Granting and withdrawing institution roles (policy/roles.py) and the external-account flag."""

from __future__ import annotations

from ...clock import Clock
from ...errors import invalid_param, not_found
from ...policy.roles import KNOWN_ROLES
from ...storage import Storage
from ..audit import Actor, AuditLog
from ..audit.actor import current_actor


class RoleService:
    def __init__(self, storage: Storage, clock: Clock, audit: AuditLog) -> None:
        self.storage = storage
        self.audit = audit
        self.clock = clock

    async def _require_user(self, user_id: str) -> None:
        if not await self.storage.users.user_exists(user_id):
            raise not_found(f"No such user {user_id}")

    async def set_role(self, user_id: str, role: str, held: bool, by: str) -> bool:
        """Grant (held) or withdraw a role; True when something changed."""
        if role not in KNOWN_ROLES:
            raise invalid_param(f"Unknown role {role!r}; known roles: {', '.join(sorted(KNOWN_ROLES))}")
        await self._require_user(user_id)
        async with self.storage.db.transaction() as txn:
            if held:
                changed = await self.storage.roles.grant(txn, user_id, role, by, self.clock.now_ms())
            else:
                changed = await self.storage.roles.revoke(txn, user_id, role)
            if changed:
                actor = current_actor() or Actor(by, via="server")
                action = "role.grant" if held else "role.revoke"
                await self.audit.record(txn, actor, action, user_id, details={"role": role})
            return changed

    async def roles_of(self, user_id: str) -> frozenset[str]:
        return await self.storage.roles.roles_of(user_id)

    async def set_external(self, user_id: str, external: bool) -> None:
        await self._require_user(user_id)
        async with self.storage.db.transaction() as txn:
            await self.storage.roles.set_external(txn, user_id, external)
            actor = current_actor() or Actor(None, via="server")
            await self.audit.record(txn, actor, "account.external", user_id, details={"external": external})
