"""Who is behind an account (client-server API: server administration, GET /admin/whois): its devices with
where and when each was last seen. Administrators may look anyone up; everyone else only themselves."""

from __future__ import annotations

from typing import Any

from ...errors import forbidden, not_found
from ...storage import Storage
from ..accounts.requester import Requester
from ..audit import Actor, AuditLog


class WhoisService:
    def __init__(self, storage: Storage, audit: AuditLog) -> None:
        self.storage = storage
        self.audit = audit

    async def whois(self, requester: Requester, user_id: str) -> dict[str, Any]:
        if user_id != requester.user_id and not requester.is_admin:
            raise forbidden("Only server administrators may look up other users")
        if not await self.storage.users.user_exists(user_id):
            raise not_found("Unknown user")
        if user_id != requester.user_id:
            # An administrator looking into someone's sessions and addresses.
            await self.audit.record_alone(Actor.of(requester, via="admin"), "user.whois", user_id)
        devices: dict[str, Any] = {}
        for device in await self.storage.users.list_devices(user_id):
            connection: dict[str, Any] = {}
            if device.last_seen_ip is not None:
                connection["ip"] = device.last_seen_ip
            if device.last_seen_ts is not None:
                connection["last_seen"] = device.last_seen_ts
            # The server keeps one "last seen" per device, so each device has one session of one connection.
            devices[device.device_id] = {"sessions": [{"connections": [connection] if connection else []}]}
        return {"user_id": user_id, "devices": devices}
