"""Short-lived tokens that are not access tokens (client-server API: OpenID, login tokens).

An OpenID token proves to another server (an integration manager, a widget host) which user holds it; that
server asks this one through the federation API's /openid/userinfo. A login token signs a new device in
once (m.login.token), made by an already signed-in device through /login/get_token when the operator
allows it. Both are 256 random bits; only their hashes are stored."""

from __future__ import annotations

from typing import Any

from ...clock import Clock, Randomness
from ...errors import MatrixError, forbidden
from ...storage import Storage
from ...storage.short_lived_tokens import TokenKind
from ..accounts.auth import hash_token
from ..accounts.requester import Requester
from ..audit import Actor, AuditLog

OPENID_LIFETIME_S = 3600


class ShortLivedTokenService:
    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        randomness: Randomness,
        *,
        server_name: str,
        audit: AuditLog,
        login_token_lifetime_ms: int | None,
    ) -> None:
        self.storage = storage
        self.audit = audit
        self.clock = clock
        self.randomness = randomness
        self.server_name = server_name
        # None: the operator has not allowed login tokens ([access] login_tokens).
        self.login_token_lifetime_ms = login_token_lifetime_ms

    async def _issue(self, kind: TokenKind, prefix: str, user_id: str, lifetime_ms: int) -> str:
        token = prefix + self.randomness.token(32)
        now = self.clock.now_ms()
        await self.storage.short_lived_tokens.add(kind, hash_token(token), user_id, now + lifetime_ms, now)
        return token

    # -- OpenID -------------------------------------------------------------------------------------

    async def request_openid_token(self, requester: Requester, user_id: str) -> dict[str, Any]:
        if user_id != requester.user_id:
            raise forbidden("You may only request OpenID tokens for yourself")
        token = await self._issue("openid", "cho_", user_id, OPENID_LIFETIME_S * 1000)
        await self.audit.record_alone(Actor.of(requester), "openid.token_create", user_id)
        return {
            "access_token": token,
            "token_type": "Bearer",
            "matrix_server_name": self.server_name,
            "expires_in": OPENID_LIFETIME_S,
        }

    async def openid_userinfo(self, token: str) -> dict[str, Any]:
        user_id = await self.storage.short_lived_tokens.holder("openid", hash_token(token), self.clock.now_ms())
        if user_id is None:
            raise MatrixError(401, "M_UNKNOWN_TOKEN", "Unknown or expired OpenID token")
        return {"sub": user_id}

    # -- login tokens -------------------------------------------------------------------------------

    @property
    def login_tokens_enabled(self) -> bool:
        return self.login_token_lifetime_ms is not None

    async def issue_login_token(self, requester: Requester) -> dict[str, Any]:
        lifetime = self.login_token_lifetime_ms
        if lifetime is None:
            raise MatrixError(404, "M_UNRECOGNIZED", "Login tokens are not enabled on this server")
        token = await self._issue("login", "chl_", requester.user_id, lifetime)
        await self.audit.record_alone(Actor.of(requester), "login_token.create", requester.user_id)
        return {"login_token": token, "expires_in_ms": lifetime}

    async def redeem_login_token(self, token: str, ip: str | None) -> str:
        """The user a valid login token signs in; the token is used up, also when it had expired. (The login
        itself is audited as every login is; a refused token here.)"""
        user_id = None
        if self.login_tokens_enabled:
            user_id = await self.storage.short_lived_tokens.consume("login", hash_token(token), self.clock.now_ms())
        if user_id is not None:
            account = await self.storage.users.get_user(user_id)
            user_id = user_id if account is not None and not account.deactivated else None
        if user_id is None:
            details = {"method": "m.login.token"}
            await self.audit.record_alone(Actor(None, ip=ip), "login.failed", None, outcome="failed", details=details)
            raise forbidden("Invalid or expired login token")
        return user_id
