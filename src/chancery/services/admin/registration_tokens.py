"""Registration tokens through the Synapse-compatible admin API (create, list, change, delete)."""

from __future__ import annotations

import re
import secrets
import string
from typing import Any

from ...clock import Clock
from ...errors import invalid_param, not_found
from ...storage.database import Database
from ...storage.registration_tokens import RegistrationTokenStore
from ..accounts.requester import Requester
from .audit import AdminAudit, token_sha256
from .shapes import registration_token_json

_TOKEN = re.compile(r"[A-Za-z0-9._~-]{1,64}")
_ALPHABET = string.ascii_letters + string.digits + "._~-"


class RegistrationTokenAdminService:
    def __init__(self, db: Database, store: RegistrationTokenStore, audit: AdminAudit, clock: Clock) -> None:
        self.db = db
        self.store = store
        self.audit = audit
        self.clock = clock

    async def list(self, valid: bool | None) -> dict[str, Any]:
        tokens = await self.store.list(valid, self.clock.now_ms())
        return {"registration_tokens": [registration_token_json(t) for t in tokens]}

    async def get(self, token: str) -> dict[str, Any]:
        found = await self.store.get(token)
        if found is None:
            raise not_found("No such registration token")
        return registration_token_json(found)

    async def create(self, admin: Requester, body: dict[str, Any]) -> dict[str, Any]:
        token = body.get("token")
        if token is None:
            length = body.get("length", 16)
            if isinstance(length, bool) or not isinstance(length, int) or not 1 <= length <= 64:
                raise invalid_param("length must be an integer from 1 to 64")
            token = "".join(secrets.choice(_ALPHABET) for _ in range(length))
        elif not isinstance(token, str) or not _TOKEN.fullmatch(token):
            raise invalid_param("token must be 1 to 64 characters of A-Z, a-z, 0-9, '.', '_', '~' and '-'")
        uses_allowed = self._uses_allowed(body.get("uses_allowed"))
        expiry_ts = self._expiry(body.get("expiry_time"))
        async with self.db.transaction() as txn:
            if not await self.store.create(txn, token, uses_allowed, expiry_ts, self.clock.now_ms()):
                raise invalid_param("This registration token already exists")
            details = {"token_sha256": token_sha256(token), "uses_allowed": uses_allowed, "expiry_time": expiry_ts}
            await self.audit.record(txn, admin, "registration_token.create", "registration_token", details)
        return await self.get(token)

    async def update(self, admin: Requester, token: str, body: dict[str, Any]) -> dict[str, Any]:
        changes: dict[str, int | None] = {}
        if "uses_allowed" in body:
            changes["uses_allowed"] = self._uses_allowed(body["uses_allowed"])
        if "expiry_time" in body:
            changes["expiry_ts"] = self._expiry(body["expiry_time"])
        async with self.db.transaction() as txn:
            if not await self.store.update(txn, token, changes):
                raise not_found("No such registration token")
            details = {"token_sha256": token_sha256(token), **changes}
            await self.audit.record(txn, admin, "registration_token.update", "registration_token", details)
        return await self.get(token)

    async def delete(self, admin: Requester, token: str) -> None:
        async with self.db.transaction() as txn:
            if not await self.store.delete(txn, token):
                raise not_found("No such registration token")
            details = {"token_sha256": token_sha256(token)}
            await self.audit.record(txn, admin, "registration_token.delete", "registration_token", details)

    @staticmethod
    def _uses_allowed(value: Any) -> int | None:
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**53):
            raise invalid_param("uses_allowed must be a non-negative integer or null")
        return value

    def _expiry(self, value: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**53:
            raise invalid_param("expiry_time must be a timestamp in milliseconds or null")
        if value < self.clock.now_ms():
            raise invalid_param("expiry_time must not be in the past")
        return value
