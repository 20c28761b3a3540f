"""Passwords, access tokens, devices and logins (client-server API: login, logout, account)."""

from __future__ import annotations

import asyncio
import functools
import hashlib
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ...clock import Clock, Randomness
from ...errors import MatrixError, forbidden
from ...lru import Lru
from ...policy.decision import REASON_FIELD
from ...storage import Storage
from ...storage.database import Connection
from ...storage.stream import next_position
from ..audit import Actor, AuditLog
from ..audit.actor import current_actor
from ..notifier import Change, Notifier, user_key
from .requester import Requester

T = TypeVar("T")

_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters (64 MiB each)
# Each hash holds 64 MiB while it runs: two at a time bounds that memory whatever the login burst,
# and keeps hashing from starving the event loop's own thread of CPU.
_HASH_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="argon2")
MAX_PASSWORD_LENGTH = 512


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _in_pool(fn: Callable[..., T], *args: Any) -> T:
    return await asyncio.get_running_loop().run_in_executor(_HASH_POOL, fn, *args)


def make_hasher(time_cost: int, memory_kib: int) -> PasswordHasher:
    """argon2id with the given cost ([directory] argon2_time_cost, argon2_memory_kib)."""
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)


async def hash_password(password: str, hasher: PasswordHasher | None = None) -> str:
    if len(password) > MAX_PASSWORD_LENGTH:
        raise MatrixError(400, "M_INVALID_PARAM", "Password too long")
    return await _in_pool((hasher or _HASHER).hash, password)


@functools.cache
def _dummy_hash() -> str:
    return _HASHER.hash("a password nobody has")


def _verify(password_hash: str | None, password: str) -> bool:
    """Runs in the hashing pool. With no stored hash it spends the same time and fails, so response
    timing does not reveal which accounts exist."""
    try:
        matched = _HASHER.verify(password_hash or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return matched and password_hash is not None


async def verify_password(password_hash: str | None, password: str) -> bool:
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    return await _in_pool(_verify, password_hash, password)


_MAX_TOKENS_REMEMBERED = 100_000

# Called inside the transaction that creates a session, with (txn, user_id, device_id, token_hash,
# new_device, wants_refresh_token): may refuse it (raise) and returns fields for the login response
# (device control: limits, expiry, refresh tokens).
SessionHook = Callable[[Connection, str, str, str, bool, bool], Awaitable[dict[str, Any]]]


class AuthService:
    def __init__(
        self, storage: Storage, clock: Clock, randomness: Randomness, notifier: Notifier, audit: AuditLog
    ) -> None:
        self.storage = storage
        self.audit = audit
        self.clock = clock
        self.randomness = randomness
        self.notifier = notifier
        # token hash -> (requester, stream position it was looked up at). An entry is used only while this
        # process knows that none of the user's tokens was revoked since: every revocation takes a stream
        # position (see `revoke_in`), so one made by another process or program invalidates it too.
        self._tokens: Lru[str, tuple[Requester, int]] = Lru(_MAX_TOKENS_REMEMBERED)
        # Other places an active account's password may be right (the institution's LDAP directory).
        self.password_checkers: list[Callable[[str, str], Awaitable[bool]]] = []
        self.session_hooks: list[SessionHook] = []

    async def requester_for_token(self, token: str) -> Requester | None:
        token_hash = hash_token(token)
        notifier = self.notifier
        cached = self._tokens.get(token_hash)
        if cached is not None:
            requester, as_of = cached
            if notifier.unchanged([user_key(requester.user_id, Change.TOKENS)], as_of, notifier.complete_upto):
                return requester
            self._tokens.pop(token_hash)
        as_of = notifier.complete_upto  # before the lookup: a revocation after it is then newer than as_of
        found = await self.storage.users.lookup_token(token_hash)
        if found is None:
            return await self._wiped_requester(token_hash)
        requester = Requester(
            found.user_id,
            found.device_id,
            found.is_admin,
            token_hash,
            found.is_guest,
            account_expires_ts=found.account_expires_ts,
            terms_version=found.terms_version,
            token_expires_ts=found.token_expires_ts,
            approved=found.device_approved,
        )
        if notifier.tracking:
            self._tokens.put(token_hash, (requester, as_of))
        return requester

    async def _wiped_requester(self, token_hash: str) -> Requester | None:
        """A revoked token of a remotely wiped device: known, so that it can be told it was wiped."""
        wiped = await self.storage.devices.wiped_token(token_hash)
        if wiped is None:
            return None
        return Requester(wiped[0], wiped[1], False, token_hash, wiped=True)

    async def revoke_in(self, txn: Connection) -> int:
        """Call in every transaction that deletes access tokens or deactivates an account: takes the stream
        position that `announce_revoked` announces after commit."""
        return await next_position(txn)

    async def announce_revoked(self, pos: int, user_id: str) -> None:
        for token_hash in [h for h, (r, _) in self._tokens.items() if r.user_id == user_id]:
            self._tokens.pop(token_hash)
        await self.notifier.notify(pos, [user_key(user_id, Change.TOKENS)])

    async def check_password(self, user_id: str, password: str) -> bool:
        user = await self.storage.users.get_user(user_id)
        if user is None or user.deactivated:
            # Hash anyway so response timing does not reveal which accounts exist.
            await verify_password(None, password)
            return False
        for checker in self.password_checkers:
            if await checker(user_id, password):
                return True
        return await verify_password(user.password_hash, password)

    async def new_session(
        self,
        user_id: str,
        device_id: str | None,
        display_name: str | None,
        *,
        method: str = "m.login.password",
        refresh: bool = False,
    ) -> tuple[str, str, bool, dict[str, Any]]:
        """Create (or reuse) a device and a fresh access token; return (token, device_id, new_device, and the
        session hooks' response fields: refresh_token, expires_in_ms). `refresh`: the client asked for a
        refresh token. A session hook's refusal (device limit, wiped device) is audited as a denied login.

        Logging in again as an existing device ends that device's earlier sessions: their tokens stop working
        at once, here and (announced like a logout) in every other process."""
        device_id = device_id or self.randomness.letters(10).upper()
        token = "chy_" + self.randomness.token(32)  # 256 random bits
        now = self.clock.now_ms()
        revoked: int | None = None
        request = current_actor()
        actor = Actor(user_id, device_id, request.ip if request else None, request.via if request else "client")
        try:
            async with self.storage.db.transaction() as txn:
                created = await self.storage.users.upsert_device(txn, user_id, device_id, display_name, now)
                details = {"method": method, "device_id": device_id, "new_device": created}
                await self.audit.record(txn, actor, "login", user_id, details=details)
                if not created:
                    await self.storage.users.delete_tokens(txn, user_id, device_id)
                    revoked = await self.revoke_in(txn)
                await self.storage.users.add_access_token(txn, hash_token(token), user_id, device_id, now)
                extra: dict[str, Any] = {}
                for hook in self.session_hooks:
                    extra |= await hook(txn, user_id, device_id, hash_token(token), created, refresh)
        except MatrixError as exc:
            # A session hook's policy refusal rolled the login back: the refusal itself is on record.
            reason = exc.extra.get(REASON_FIELD)
            if reason is not None:
                details = {"method": method, "device_id": device_id}
                await self.audit.record_alone(actor, "login", user_id, outcome="denied", reason=reason, details=details)
            raise
        if revoked is not None:
            await self.announce_revoked(revoked, user_id)
        return token, device_id, created, extra

    async def logout(self, requester: Requester) -> None:
        async with self.storage.db.transaction() as txn:
            await self.storage.users.delete_token(txn, requester.token_hash)
            pos = await self.revoke_in(txn)
        await self.announce_revoked(pos, requester.user_id)

    async def require_not_deactivated(self, user_id: str) -> None:
        user = await self.storage.users.get_user(user_id)
        if user is None or user.deactivated:
            raise forbidden("This account has been deactivated")
