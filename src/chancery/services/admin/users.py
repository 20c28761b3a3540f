"""Accounts through the Synapse-compatible admin API: list, inspect, create and modify users, their devices,
sessions, rooms and pushers."""

from __future__ import annotations

import logging
from typing import Any

from ...errors import MatrixError, forbidden, invalid_param, missing_param, not_found
from ...events.identifiers import is_valid_user_id, server_of
from ...storage import Storage
from ...storage.admin_users import AdminUserRow, AdminUserStore, UserFilter
from ..accounts.auth import AuthService
from ..accounts.profile import ProfileService
from ..accounts.requester import Requester
from ..accounts.service import AccountService
from ..directory.lifecycle import LifecycleService
from ..push.pushers import pusher_json
from .audit import AdminAudit, actor_of
from .shapes import device_json, page, user_details_json, user_json

log = logging.getLogger(__name__)


class UserAdminService:
    def __init__(
        self,
        storage: Storage,
        store: AdminUserStore,
        lifecycle: LifecycleService,
        accounts: AccountService,
        auth: AuthService,
        profile: ProfileService,
        audit: AdminAudit,
        *,
        server_name: str,
    ) -> None:
        self.storage = storage
        self.store = store
        self.lifecycle = lifecycle
        self.accounts = accounts
        self.auth = auth
        self.profile = profile
        self.audit = audit
        self.server_name = server_name

    def check_local(self, user_id: str) -> None:
        if not is_valid_user_id(user_id) or server_of(user_id) != self.server_name:
            raise invalid_param("Only users of this server can be managed here")

    async def existing(self, user_id: str) -> AdminUserRow:
        self.check_local(user_id)
        user = await self.store.get_user(user_id)
        if user is None:
            raise not_found("User not found")
        return user

    # -- reading ------------------------------------------------------------------------------------

    async def list_users(
        self, wanted: UserFilter, order_by: str, descending: bool, offset: int, limit: int
    ) -> dict[str, Any]:
        users, total = await self.store.list_users(wanted, order_by, descending, offset, limit)
        body = {"users": [user_json(u) for u in users], **page(users, offset, total)}
        if "next_token" in body:
            body["next_token"] = str(body["next_token"])  # a string here, as Synapse sends it
        return body

    async def user_details(self, user_id: str) -> dict[str, Any]:
        return user_details_json(await self.existing(user_id))

    async def joined_rooms(self, user_id: str) -> dict[str, Any]:
        await self.existing(user_id)
        rooms = sorted(await self.storage.rooms.rooms_for_user(user_id, "join"))
        return {"joined_rooms": rooms, "total": len(rooms)}

    async def pushers(self, user_id: str) -> dict[str, Any]:
        await self.existing(user_id)
        pushers = [pusher_json(p) for p in await self.storage.pushers.pushers_of(user_id)]
        return {"pushers": pushers, "total": len(pushers)}

    # -- creating and modifying ---------------------------------------------------------------------

    async def put_user(self, admin: Requester, user_id: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """PUT v2/users/{id}: create the account (201) or change what the body names (200)."""
        self.check_local(user_id)
        change = UserChange.parse(body)
        existing = await self.store.get_user(user_id)
        if existing is None:
            await self._create(admin, user_id, change)
            return 201, await self.user_details(user_id)
        if change.admin is not None and change.admin != existing.is_admin:
            await self.set_admin(admin, user_id, change.admin)
        if change.deactivated is False and existing.deactivated:
            if change.password is None:
                raise missing_param("A password is needed to re-activate an account")
            await self.reactivate(admin, user_id, change.password)
        elif change.password is not None:
            await self.reset_password(admin, user_id, change.password, change.logout_devices)
        for field in ("displayname", "avatar_url"):
            value = change.profile.get(field, getattr(existing, field))
            if field in change.profile and value != getattr(existing, field):
                await self.profile.set_field(admin, user_id, field, value)
                await self.audit.record(None, admin, "profile.change", user_id, {"field": field})
        if change.deactivated is True and not existing.deactivated:
            await self.deactivate(admin, user_id, erase=False)
        return 200, await self.user_details(user_id)

    async def _create(self, admin: Requester, user_id: str, change: UserChange) -> None:
        if self.accounts.user_id_for(user_id) != user_id:
            raise MatrixError(400, "M_INVALID_USERNAME", "User IDs may contain only a-z, 0-9, . _ = - / +")
        await self.accounts.create_account(  # audited there
            user_id, change.password, is_admin=bool(change.admin), actor=actor_of(admin)
        )
        for field, value in change.profile.items():
            await self.profile.set_field(admin, user_id, field, value)
        if change.deactivated:
            await self.deactivate(admin, user_id, erase=False)

    async def reset_password(self, admin: Requester, user_id: str, password: str, logout_devices: bool) -> None:
        """Policy-checked (400 M_WEAK_PASSWORD); audited by the account service."""
        await self.existing(user_id)
        await self.lifecycle.reset_password(user_id, password, actor_of(admin), logout_devices=logout_devices)

    async def reactivate(self, admin: Requester, user_id: str, password: str) -> None:
        await self.lifecycle.reactivate(user_id, actor_of(admin), password=password)  # audited there
        async with self.storage.db.transaction() as txn:
            await self.store.set_erased(txn, user_id, False)

    async def set_admin(self, admin: Requester, user_id: str, is_admin: bool) -> None:
        await self.existing(user_id)
        if user_id == admin.user_id and not is_admin:
            raise forbidden("You may not demote yourself")
        async with self.storage.db.transaction() as txn:
            await self.store.set_admin(txn, user_id, is_admin)
            await self.audit.record(txn, admin, "admin.set", user_id, {"admin": is_admin})
            # Every process caches who a token belongs to, admin flag included: have them look it up again.
            changed = await self.auth.revoke_in(txn)
        await self.auth.announce_revoked(changed, user_id)

    async def deactivate(self, admin: Requester, user_id: str, *, erase: bool) -> None:
        user = await self.existing(user_id)
        if user_id == admin.user_id:
            raise forbidden("You may not deactivate yourself here")
        if user.deactivated and (user.erased or not erase):
            return  # already done: deactivation is idempotent
        if not user.deactivated:
            await self.lifecycle.deactivate(user_id, actor_of(admin), erase=erase)  # audited there
        elif erase:
            async with self.storage.db.transaction() as txn:
                await self.storage.people.erase_person(txn, user_id)
                await self.audit.record(txn, admin, "directory.erase", user_id)
        if erase:
            async with self.storage.db.transaction() as txn:
                await self.store.set_erased(txn, user_id, True)

    async def login_as(self, admin: Requester, user_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """A session as the user, for acting on their behalf. Unlike Synapse's, it is a visible device named
        after the administrator, so the person can see (and end) it."""
        user = await self.existing(user_id)
        if user_id == admin.user_id:
            raise invalid_param("Use a normal login for your own account")
        if user.deactivated:
            raise forbidden("The account is deactivated")
        if body.get("valid_until_ms") is not None:
            raise invalid_param("valid_until_ms is not supported: the session lasts until it is logged out")
        token, device_id, _, _ = await self.auth.new_session(user_id, None, f"Administrator session ({admin.user_id})")
        await self.audit.record(None, admin, "login.as_user", user_id, {"device_id": device_id})
        log.warning("administrator session created", extra={"user_id": user_id, "by": admin.user_id})
        return {"access_token": token}

    # -- devices ----------------------------------------------------------------------------------

    async def devices(self, user_id: str) -> dict[str, Any]:
        await self.existing(user_id)
        devices = [device_json(user_id, d) for d in await self.accounts.list_devices(user_id)]
        return {"devices": devices, "total": len(devices)}

    async def device(self, user_id: str, device_id: str) -> dict[str, Any]:
        await self.existing(user_id)
        return device_json(user_id, await self.accounts.get_device(user_id, device_id))

    async def rename_device(self, admin: Requester, user_id: str, device_id: str, name: Any) -> None:
        await self.existing(user_id)
        await self.accounts.rename_device(user_id, device_id, name)
        await self.audit.record(None, admin, "device.rename", user_id, {"device_id": device_id})

    async def delete_devices(self, admin: Requester, user_id: str, device_ids: list[str]) -> None:
        """Deleting a device that does not exist is a no-op, as in Synapse."""
        await self.existing(user_id)
        known = {d.device_id for d in await self.storage.users.list_devices(user_id)}
        doomed = [d for d in dict.fromkeys(device_ids) if d in known]
        await self.accounts.delete_devices(user_id, doomed, actor=actor_of(admin))  # audited there


class UserChange:
    """What a PUT v2/users body asks for. synapse-admin sends the whole record back: fields Chancery does not
    have are accepted at their neutral value (no third-party IDs, unlocked, no user type) and refused otherwise."""

    def __init__(self) -> None:
        self.password: str | None = None
        self.logout_devices = True
        self.admin: bool | None = None
        self.deactivated: bool | None = None
        self.profile: dict[str, str | None] = {}

    @classmethod
    def parse(cls, body: dict[str, Any]) -> UserChange:
        change = cls()
        password = body.get("password")
        if password is not None and (not isinstance(password, str) or not password):
            raise invalid_param("password must be a non-empty string")
        change.password = password
        change.logout_devices = _bool(body, "logout_devices", True)
        change.admin = _optional_bool(body, "admin")
        change.deactivated = _optional_bool(body, "deactivated")
        for field in ("displayname", "avatar_url"):
            if field in body:
                value = body[field]
                if value is not None and not isinstance(value, str):
                    raise invalid_param(f"{field} must be a string")
                change.profile[field] = value or None
        for field in ("threepids", "external_ids"):
            if body.get(field) not in (None, []):
                raise invalid_param(f"{field} are not supported: accounts come from the institution's directory")
        if body.get("locked") not in (None, False):
            raise invalid_param("Locking accounts is not supported: deactivate the account instead")
        if body.get("user_type") is not None:
            raise invalid_param("User types are not supported")
        return change


def _optional_bool(body: dict[str, Any], key: str) -> bool | None:
    value = body.get(key)
    if value is not None and not isinstance(value, bool):
        raise invalid_param(f"{key} must be a boolean")
    return value


def _bool(body: dict[str, Any], key: str, default: bool) -> bool:
    value = _optional_bool(body, key)
    return default if value is None else value
