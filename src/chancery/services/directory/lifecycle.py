"""Account lifecycle: deactivation, re-activation, expiry and renewal, terms of use, password resets.

The stable API other modules (the Synapse-compatible admin API, the CLI, provisioning) call; every method
that changes an account takes the `Actor` who asked, for the audit log and the directory history.
"""

from __future__ import annotations

import logging

from ...clock import Clock
from ...config.directory import DirectoryConfig
from ...errors import MatrixError, invalid_param, not_found
from ...events.identifiers import localpart_of
from ...storage import Storage
from ...storage.database import Connection
from ..accounts.auth import AuthService
from ..accounts.requester import Requester
from ..accounts.service import AccountService
from ..audit import Actor, AuditLog

log = logging.getLogger(__name__)

EXPIRED_ACCOUNT = "ORG_MATRIX_EXPIRED_ACCOUNT"  # Tchap's error code for an expired account
TERMS_NOT_SIGNED = "M_TERMS_NOT_SIGNED"
TERMS_FIELD = "org.chancery.terms"


class LifecycleService:
    def __init__(
        self,
        storage: Storage,
        accounts: AccountService,
        auth: AuthService,
        clock: Clock,
        config: DirectoryConfig,
        audit: AuditLog,
    ) -> None:
        self.storage = storage
        self.accounts = accounts
        self.auth = auth
        self.clock = clock
        self.config = config
        self.audit = audit

    # -- holds on an account's requests -------------------------------------------------------------

    def check_usable(self, requester: Requester) -> None:
        """Refuse a request from an expired account, or one that has not accepted the current terms of use.
        No database work: the requester carries both (its cache entry is dropped when either changes)."""
        if requester.account_expires_ts is not None and self.clock.now_ms() >= requester.account_expires_ts:
            raise MatrixError(403, EXPIRED_ACCOUNT, "This account has expired; ask an administrator to renew it")
        version = self.config.terms_version
        if version and requester.terms_version != version and not requester.is_guest:
            raise MatrixError(
                403,
                TERMS_NOT_SIGNED,
                "Accept the terms of use first",
                **{TERMS_FIELD: self.terms()},
            )

    def terms(self) -> dict[str, str] | None:
        if not self.config.terms_version:
            return None
        return {"url": self.config.terms_url, "version": self.config.terms_version}

    async def accept_terms(self, requester: Requester, version: str, actor: Actor) -> None:
        if not self.config.terms_version:
            raise not_found("This server publishes no terms of use")
        if version != self.config.terms_version:
            raise invalid_param(f"The current terms of use are version {self.config.terms_version}")
        await self.record_terms_accepted(requester.user_id, version, actor)

    async def record_terms_accepted(self, user_id: str, version: str, actor: Actor) -> None:
        async with self.storage.db.transaction() as txn:
            await self.storage.people.set_terms_version(txn, user_id, version)
            await self.audit.record(txn, actor, "terms.accept", user_id, details={"version": version})
            pos = await self.auth.revoke_in(txn)  # cached requesters carry the old version
        await self.auth.announce_revoked(pos, user_id)

    # -- expiry and renewal -------------------------------------------------------------------------

    async def expiry(self, user_id: str) -> int | None:
        await self._require_account(user_id)
        return await self.storage.people.expiry_of(user_id)

    async def set_expiry(self, user_id: str, actor: Actor, expires_ts: int | None) -> None:
        """Set when the account expires (None: never). Takes effect at once in every process."""
        await self._require_account(user_id)
        before = await self.storage.people.expiry_of(user_id)
        async with self.storage.db.transaction() as txn:
            await self.storage.people.set_expiry(txn, user_id, expires_ts)
            await self.storage.people.record_change(
                txn, self.clock.now_ms(), actor_name(actor), user_id, "expires_ts", _text(before), _text(expires_ts)
            )
            await self.audit.record(txn, actor, "account.expiry", user_id, details={"expires_ts": expires_ts})
            pos = await self.auth.revoke_in(txn)
        await self.auth.announce_revoked(pos, user_id)

    async def renew(self, user_id: str, actor: Actor, *, expires_ts: int | None = None) -> int | None:
        """Renew an account: until `expires_ts`, or [directory] account_validity_days from now (never expiring
        when no validity is configured). Returns the new expiry."""
        if expires_ts is None and self.config.validity_ms is not None:
            expires_ts = self.clock.now_ms() + self.config.validity_ms
        await self.set_expiry(user_id, actor, expires_ts)
        return expires_ts

    async def expiry_for_new_account(self) -> int | None:
        validity = self.config.validity_ms
        return None if validity is None else self.clock.now_ms() + validity

    async def on_account_created(self, txn: Connection, user_id: str) -> None:
        """In the creating transaction: a new account's validity starts ([directory] account_validity_days)."""
        expires_ts = await self.expiry_for_new_account()
        if expires_ts is not None:
            await self.storage.people.set_expiry(txn, user_id, expires_ts)

    # -- deactivation and re-activation -------------------------------------------------------------

    async def deactivate(self, user_id: str, actor: Actor, *, erase: bool = False) -> None:
        """Remove the person everywhere: tokens revoked first (in every process), then every room left,
        every device and its keys deleted, hidden from the user directory. With `erase`, the directory's
        personal data about them (contact details, organisation, position) is forgotten too."""
        await self.accounts.deactivate(user_id, actor)  # audited there
        async with self.storage.db.transaction() as txn:
            now = self.clock.now_ms()
            await self.storage.people.record_change(txn, now, actor_name(actor), user_id, "deactivated", "0", "1")
            if erase:
                await self.storage.people.erase_person(txn, user_id)
                await self.storage.people.record_change(txn, now, actor_name(actor), user_id, "erased", None, "1")
            if erase:
                await self.audit.record(txn, actor, "directory.erase", user_id)
        log.info("account deactivated", extra={"user_id": user_id, "erase": erase})

    async def reactivate(self, user_id: str, actor: Actor, *, password: str | None = None) -> None:
        """Reopen a deactivated account (rooms are not rejoined; devices start afresh). Without a password,
        the person logs in through the directory (LDAP) or after an administrator sets one. The display name
        comes back from the directory, else the localpart; a configured validity starts again."""
        user = await self.storage.users.get_user(user_id)
        if user is None:
            raise not_found("Unknown user")
        if not user.deactivated:
            raise invalid_param("The account is not deactivated")
        password_hash = await self.accounts.new_password_hash(password, user_id) if password is not None else None
        person = await self.storage.people.person(user_id)
        displayname = (person.person.display_name if person else None) or localpart_of(user_id)
        expires_ts = await self.expiry_for_new_account()
        async with self.storage.db.transaction() as txn:
            if not await self.storage.people.reactivate(txn, user_id, password_hash, displayname):
                raise invalid_param("The account is not deactivated")
            await self.storage.people.set_expiry(txn, user_id, expires_ts)
            await self.storage.people.record_change(
                txn, self.clock.now_ms(), actor_name(actor), user_id, "deactivated", "1", "0"
            )
            await self.audit.record(txn, actor, "account.reactivate", user_id)
        log.info("account reactivated", extra={"user_id": user_id})

    # -- passwords ----------------------------------------------------------------------------------

    async def reset_password(
        self, user_id: str, new_password: str, actor: Actor, *, logout_devices: bool = True
    ) -> None:
        """An administrator sets someone's password (policy-checked: 400 M_WEAK_PASSWORD)."""
        await self._require_account(user_id)
        await self.accounts.set_password(user_id, new_password, logout_devices, actor=actor)  # audited there

    async def _require_account(self, user_id: str) -> None:
        if not await self.storage.users.user_exists(user_id):
            raise not_found("Unknown user")


def terms_params(terms: dict[str, str] | None) -> dict[str, object]:
    """The UIA params of the m.login.terms stage (client-server API: terms of service at registration)."""
    if terms is None:
        return {}
    policy = {"version": terms["version"], "en": {"name": "Terms of use", "url": terms["url"]}}
    return {"m.login.terms": {"policies": {"terms_of_use": policy}}}


def actor_name(actor: Actor) -> str:
    """Who acted, as the directory history records it: a user ID, "cli", or "server:<job>"."""
    if actor.user_id:
        return actor.user_id
    return f"server:{actor.job}" if actor.job else actor.via


def _text(value: int | None) -> str | None:
    return None if value is None else str(value)
