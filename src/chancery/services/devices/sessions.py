"""Sessions under device control: the device limit, wiped device IDs, approval of new devices, access-token
expiry and refresh tokens (client-server API: refreshing access tokens).

A session's access token expires after [devices] access_token_lifetime_s when the client asked for a
refresh token, and every token of a session (refreshed or not) ends at session_lifetime_s after sign-in.
A refresh token is used once: POST /refresh replaces it and its access token (the old one stops at once).
"""

from __future__ import annotations

from typing import Any

from ...clock import Clock, Randomness
from ...config.devices import DeviceConfig
from ...errors import MatrixError
from ...policy.devices import may_add_device, may_sign_in_as
from ...storage import Storage
from ...storage.database import Connection
from ..accounts.auth import AuthService, hash_token


def _unknown_refresh_token() -> MatrixError:
    return MatrixError(401, "M_UNKNOWN_TOKEN", "Unknown, used or expired refresh token", soft_logout=False)


class SessionControl:
    def __init__(
        self, storage: Storage, clock: Clock, randomness: Randomness, config: DeviceConfig, auth: AuthService
    ) -> None:
        self.storage = storage
        self.clock = clock
        self.randomness = randomness
        self.config = config
        self.auth = auth

    async def on_new_session(
        self, txn: Connection, user_id: str, device_id: str, token_hash: str, created: bool, refresh: bool
    ) -> dict[str, Any]:
        """AuthService session hook (inside the sign-in transaction)."""
        store = self.storage.devices
        if not (decision := may_sign_in_as(await store.is_wiped(txn, user_id, device_id))):
            raise decision.as_error()
        if created:
            if txn.dialect == "postgres":
                # Concurrent sign-ins of one person count their devices one after the other.
                await txn.execute("SELECT 1 FROM users WHERE user_id = ? FOR UPDATE", user_id)
            existing = await store.count_devices(txn, user_id) - 1
            if not (decision := may_add_device(existing, self.config.max_per_user)):
                raise decision.as_error()
            if self.config.require_approval:
                await store.set_approved(txn, user_id, device_id, False)
        else:
            # Signing in again as the device ended its earlier sessions, refresh tokens included.
            await store.delete_refresh_tokens(txn, user_id, [device_id])
        now = self.clock.now_ms()
        lifetime = self.config.session_lifetime_s
        return await self._issue(
            txn, user_id, device_id, token_hash, now + lifetime * 1000 if lifetime else None, refresh
        )

    async def _issue(
        self,
        txn: Connection,
        user_id: str,
        device_id: str,
        token_hash: str,
        session_expires: int | None,
        refresh: bool,
    ) -> dict[str, Any]:
        """Set the access token's expiry and, when asked for, make its refresh token; the response fields."""
        now = self.clock.now_ms()
        expires = session_expires
        fields: dict[str, Any] = {}
        if refresh:
            token_end = now + self.config.access_token_lifetime_s * 1000
            expires = token_end if expires is None else min(expires, token_end)
            refresh_token = "chr_" + self.randomness.token(32)  # 256 random bits, stored hashed
            await self.storage.devices.add_refresh_token(
                txn, hash_token(refresh_token), user_id, device_id, token_hash, session_expires, now
            )
            fields["refresh_token"] = refresh_token
        if expires is not None:
            await self.storage.devices.set_token_expiry(txn, token_hash, expires)
            fields["expires_in_ms"] = max(0, expires - now)
        return fields

    async def refresh(self, refresh_token: str) -> dict[str, Any]:
        """POST /refresh: a new access token and refresh token for the session; the old pair stops working."""
        access_token = "chy_" + self.randomness.token(32)
        now = self.clock.now_ms()
        async with self.storage.db.transaction() as txn:
            session = await self.storage.devices.take_refresh_token(txn, hash_token(refresh_token))
            if session is None or (session.session_expires_ts is not None and session.session_expires_ts <= now):
                raise _unknown_refresh_token()
            await self.storage.users.delete_token(txn, session.access_token_hash)
            revoked = await self.auth.revoke_in(txn)
            token_hash = hash_token(access_token)
            await self.storage.users.add_access_token(txn, token_hash, session.user_id, session.device_id, now)
            fields = await self._issue(
                txn, session.user_id, session.device_id, token_hash, session.session_expires_ts, refresh=True
            )
        await self.auth.announce_revoked(revoked, session.user_id)
        return {"access_token": access_token, **fields}

    async def delete_device_refresh_tokens(self, txn: Connection, user_id: str, device_ids: list[str]) -> None:
        """Device-deletion hook: a deleted device's refresh tokens go with its access tokens."""
        await self.storage.devices.delete_refresh_tokens(txn, user_id, device_ids)
