"""Deactivating and re-activating accounts for the admin API.

The single call site for account lifecycle: when the directory's lifecycle
(services/directory/lifecycle.py) lands, switch these two methods to it and nothing else changes."""

from __future__ import annotations

from ...storage.admin_users import AdminUserStore
from ...storage.database import Database
from ..accounts.auth import hash_password
from ..accounts.service import AccountService


class AccountLifecycle:
    def __init__(self, db: Database, users: AdminUserStore, accounts: AccountService) -> None:
        self.db = db
        self.users = users
        self.accounts = accounts

    async def deactivate(self, user_id: str, *, erase: bool) -> None:
        """Everywhere at once: tokens, rooms, devices, profile and account data (AccountService.deactivate);
        `erase` also marks the account erased."""
        await self.accounts.deactivate(user_id)
        if erase:
            async with self.db.transaction() as txn:
                await self.users.set_erased(txn, user_id, True)

    async def reactivate(self, user_id: str, password: str | None) -> None:
        """The account can log in again (with `password`); it rejoins no rooms and has no devices."""
        password_hash = None if password is None else await hash_password(password)
        async with self.db.transaction() as txn:
            await self.users.reactivate(txn, user_id, password_hash)
