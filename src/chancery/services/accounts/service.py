"""Accounts: registration, login, passwords, deactivation and devices (client-server API: account)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from argon2 import PasswordHasher

from ...clock import Clock
from ...errors import MatrixError, forbidden, invalid_param, not_found
from ...events.identifiers import is_valid_new_localpart, is_valid_user_id, localpart_of, server_of
from ...storage import Storage
from ...storage.database import Connection
from ..audit import Actor, AuditLog
from ..audit.actor import current_actor
from ..rooms.service import RoomService
from .auth import AuthService, hash_password
from .requester import Requester

log = logging.getLogger(__name__)

# Called inside the transaction that deletes devices, so dependent rows (keys, to-device queues) go too.
DeviceDeletionHook = Callable[[Connection, str, list[str]], Awaitable[int | None]]
# Called after the deletion committed (announce device-list changes, wake syncs).
DeviceDeletedListener = Callable[[str, list[str], list[int]], Awaitable[None]]
# Called inside the deactivating transaction, to erase per-account data owned by other modules.
DeactivationHook = Callable[[Connection, str], Awaitable[None]]
# Called inside the transaction that creates a full account (or upgrades a guest), e.g. to set its expiry.
CreationHook = Callable[[Connection, str], Awaitable[None]]
# Checks a new password (for the account named, when known): raises 400 M_WEAK_PASSWORD to refuse it.
PasswordCheck = Callable[[str, str | None], Awaitable[None]]
# Called after a password change with the account and the device kept (None: none), e.g. to drop pushers.
PasswordChangedListener = Callable[[str, str | None], Awaitable[None]]

MAX_DEVICE_NAME = 512


class AccountService:
    def __init__(
        self,
        storage: Storage,
        auth: AuthService,
        rooms: RoomService,
        clock: Clock,
        audit: AuditLog,
        *,
        server_name: str,
    ) -> None:
        self.storage = storage
        self.audit = audit
        self.auth = auth
        self.rooms = rooms
        self.clock = clock
        self.server_name = server_name
        self.device_deletion_hooks: list[DeviceDeletionHook] = []
        self.device_deleted_listeners: list[DeviceDeletedListener] = []
        # The same shapes for a renamed device (inside the transaction, then after commit).
        self.device_renamed_hooks: list[DeviceDeletionHook] = []
        self.device_renamed_listeners: list[DeviceDeletedListener] = []
        self.deactivation_hooks: list[DeactivationHook] = []
        self.password_checks: list[PasswordCheck] = []
        self.creation_hooks: list[CreationHook] = []
        # argon2id parameters for new hashes (None: the library's defaults).
        self.hasher: PasswordHasher | None = None
        self.password_changed_listeners: list[PasswordChangedListener] = []

    # -- registration -------------------------------------------------------------------------------

    def user_id_for(self, username: str) -> str:
        if username.startswith("@"):
            if not is_valid_user_id(username) or server_of(username) != self.server_name:
                raise MatrixError(400, "M_INVALID_USERNAME", "User ID is not valid on this server")
            username = localpart_of(username)
        localpart = username.lower()
        if not is_valid_new_localpart(localpart):
            raise MatrixError(400, "M_INVALID_USERNAME", "Username may contain only a-z, 0-9, . _ = - / +")
        user_id = f"@{localpart}:{self.server_name}"
        if len(user_id.encode()) > 255:
            raise MatrixError(400, "M_INVALID_USERNAME", "Username is too long")
        return user_id

    async def check_username_available(self, username: str) -> str:
        user_id = self.user_id_for(username)
        if await self.storage.users.user_exists(user_id):
            raise MatrixError(400, "M_USER_IN_USE", "User ID already taken")
        return user_id

    async def create_account(
        self,
        user_id: str,
        password: str | None,
        *,
        is_admin: bool = False,
        registration_token: str | None = None,
        upgrading_guest: bool = False,
        password_hash: str | None = None,
        actor: Actor | None = None,
    ) -> None:
        """Create the account, or with `upgrading_guest` make the existing guest account `user_id` a full one
        (client-server API: guest access; its rooms, devices and tokens stay). The password is given either
        in clear (checked against the password policy) or already hashed (as a registration's user-interactive
        session remembers it, after the same check)."""
        if password is not None:
            password_hash = await self.new_password_hash(password, user_id)
        revoked: int | None = None
        actor = _actor(actor, user_id)
        method = _creation_method(actor, registration_token is not None, upgrading_guest)
        async with self.storage.db.transaction() as txn:
            details = {"admin": is_admin, "method": method}
            await self.audit.record(txn, actor, "account.create", user_id, details=details)
            if registration_token is not None:
                # The token itself is a secret; its SHA-256 identifies it to whoever holds it.
                token_ref = {"token_sha256": hashlib.sha256(registration_token.encode()).hexdigest()}
                await self.audit.record(txn, actor, "registration_token.use", user_id, details=token_ref)
            if upgrading_guest:
                if not await self.storage.users.upgrade_guest(txn, user_id, password_hash):
                    raise forbidden("This account is not a guest account")
                # Its tokens are cached as a guest's: have every process look them up again.
                revoked = await self.auth.revoke_in(txn)
            elif await self.storage.users.user_exists(user_id, txn):
                raise MatrixError(400, "M_USER_IN_USE", "User ID already taken")
            # Checked again as the account is created (the auth stage may have been long ago): still known,
            # not expired, and a use left, counted atomically with the account.
            if registration_token is not None and not await self.storage.users.use_registration_token(
                txn, registration_token, self.clock.now_ms()
            ):
                raise forbidden("The registration token is no longer valid (used up or expired)")
            if not upgrading_guest:
                await self.storage.users.create_user(txn, user_id, password_hash, is_admin, self.clock.now_ms())
            for hook in self.creation_hooks:
                await hook(txn, user_id)
        if revoked is not None:
            await self.auth.announce_revoked(revoked, user_id)
        log.info("account created", extra={"user_id": user_id, "admin": is_admin, "from_guest": upgrading_guest})

    # -- passwords and deactivation -------------------------------------------------------------

    async def check_new_password(self, password: str, user_id: str | None) -> None:
        """Raise 400 M_WEAK_PASSWORD when the password policy refuses `password`."""
        for check in self.password_checks:
            await check(password, user_id)

    async def new_password_hash(self, password: str, user_id: str | None) -> str:
        await self.check_new_password(password, user_id)
        return await hash_password(password, self.hasher)

    async def change_password(self, requester: Requester, new_password: str, logout_devices: bool) -> None:
        await self.set_password(
            requester.user_id, new_password, logout_devices, keep_device=requester.device_id, actor=Actor.of(requester)
        )

    async def set_password(
        self,
        user_id: str,
        new_password: str,
        logout_devices: bool,
        *,
        keep_device: str | None = None,
        actor: Actor | None = None,
    ) -> None:
        """Set a new password (policy-checked); with `logout_devices`, every device but `keep_device` goes."""
        if not new_password:
            raise invalid_param("new_password must not be empty")
        password_hash = await self.new_password_hash(new_password, user_id)
        async with self.storage.db.transaction() as txn:
            details = {"logout_devices": logout_devices}
            await self.audit.record(txn, _actor(actor, user_id), "password.change", user_id, details=details)
            await self.storage.users.set_password_hash(user_id, password_hash, txn)
        if logout_devices:
            others = [d.device_id for d in await self.storage.users.list_devices(user_id)]
            await self.delete_devices(user_id, [d for d in others if d != keep_device])
        for listener in self.password_changed_listeners:
            await listener(user_id, keep_device)

    async def deactivate(self, user_id: str, actor: Actor | None = None) -> None:
        """Remove the person everywhere: tokens, rooms, devices, profile, directory.

        The account is closed first (tokens revoked, marked deactivated, in one transaction), so that nothing
        can be done in its name while it leaves its rooms, however many they are."""
        user = await self.storage.users.get_user(user_id)
        if user is None:
            raise not_found("Unknown user")
        async with self.storage.db.transaction() as txn:
            await self.audit.record(txn, _actor(actor, user_id), "account.deactivate", user_id)
            await self.storage.users.delete_tokens(txn, user_id)
            await self.storage.users.mark_deactivated(txn, user_id)
            revoked = await self.auth.revoke_in(txn)
        await self.auth.announce_revoked(revoked, user_id)
        await self.rooms.leave_all(user_id)
        devices = [d.device_id for d in await self.storage.users.list_devices(user_id)]
        await self.delete_devices(user_id, devices)
        async with self.storage.db.transaction() as txn:
            await self.storage.account.delete_all_for_user(txn, user_id)
            for hook in self.deactivation_hooks:
                await hook(txn, user_id)
        # Once more, for a join that was already past its token check when the tokens were revoked.
        await self.rooms.leave_all(user_id)
        log.info("account deactivated", extra={"user_id": user_id})

    # -- devices ------------------------------------------------------------------------------------

    async def list_devices(self, user_id: str) -> list[dict[str, Any]]:
        return [
            {
                "device_id": d.device_id,
                "display_name": d.display_name,
                "last_seen_ts": d.last_seen_ts,
                "last_seen_ip": d.last_seen_ip,
            }
            for d in await self.storage.users.list_devices(user_id)
        ]

    async def get_device(self, user_id: str, device_id: str) -> dict[str, Any]:
        device = await self.storage.users.get_device(user_id, device_id)
        if device is None:
            raise not_found("Device not found")
        return {
            "device_id": device.device_id,
            "display_name": device.display_name,
            "last_seen_ts": device.last_seen_ts,
            "last_seen_ip": device.last_seen_ip,
        }

    async def rename_device(self, user_id: str, device_id: str, name: Any) -> None:
        if name is not None and (not isinstance(name, str) or len(name) > MAX_DEVICE_NAME):
            raise invalid_param("display_name must be a string of at most 512 characters")
        if await self.storage.users.get_device(user_id, device_id) is None:
            raise not_found("Device not found")
        # The name is part of the device as other users' clients see it (/keys/query): announce the change.
        async with self.storage.db.transaction() as txn:
            await self.storage.users.set_device_name(txn, user_id, device_id, name)
            positions = [pos for hook in self.device_renamed_hooks if (pos := await hook(txn, user_id, [device_id]))]
        for listener in self.device_renamed_listeners:
            await listener(user_id, [device_id], positions)

    async def delete_devices(
        self,
        user_id: str,
        device_ids: list[str],
        *,
        action: str = "device.delete",
        actor: Actor | None = None,
        details: dict[str, Any] | None = None,
        before: Callable[[Connection], Awaitable[None]] | None = None,
        after: Callable[[Connection], Awaitable[None]] | None = None,
    ) -> None:
        """Delete devices with their tokens and everything hooked to them, in one transaction (`action`
        names it in the audit log: "device.delete", or "logout" when a session ends itself, "device.wipe" ...,
        with `details` added to the entry's). `before` and `after` run in the transaction before the tokens go
        and after the hooks (a remote wipe keeps the tokens aside first and queues its message last)."""
        if not device_ids:
            return
        async with self.storage.db.transaction() as txn:
            entry = {"devices": device_ids, **(details or {})}
            await self.audit.record(txn, _actor(actor, user_id), action, user_id, details=entry)
            if before is not None:
                await before(txn)
            for device_id in device_ids:
                await self.storage.users.delete_tokens(txn, user_id, device_id)
                await self.storage.users.delete_device_row(txn, user_id, device_id)
            positions = [pos for hook in self.device_deletion_hooks if (pos := await hook(txn, user_id, device_ids))]
            if after is not None:
                await after(txn)
            revoked = await self.auth.revoke_in(txn)
        await self.auth.announce_revoked(revoked, user_id)
        for listener in self.device_deleted_listeners:
            await listener(user_id, device_ids, positions)


def _actor(given: Actor | None, user_id: str) -> Actor:
    """Who to name in the audit log: the caller's actor, else the request's (or CLI command's), else the
    account itself (a change with no request behind it). An anonymous client request acting on an account is
    its registration: the new account is the actor."""
    actor = given or current_actor()
    if actor is None:
        return Actor(user_id, via="server")
    return replace(actor, user_id=user_id) if actor.user_id is None and actor.via == "client" else actor


def _creation_method(actor: Actor, with_token: bool, upgrading_guest: bool) -> str:
    if with_token:
        return "registration_token"
    if upgrading_guest:
        return "guest_upgrade"
    return "registration" if actor.via == "client" else actor.via  # "cli", "admin", "server"
