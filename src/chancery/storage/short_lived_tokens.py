"""Short-lived bearer tokens that are not access tokens: OpenID tokens (another server asks who holds one)
and single-use login tokens (m.login.token). Only their SHA-256 hashes are stored."""

from __future__ import annotations

from typing import Literal

from .database import Connection, Database

TokenKind = Literal["openid", "login"]


class ShortLivedTokenStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, kind: TokenKind, token_hash: str, user_id: str, expires_ts: int, now: int) -> None:
        async with self.db.transaction() as txn:
            # Expired tokens are removed as new ones are made, so the table stays small without a job.
            await txn.execute("DELETE FROM short_lived_tokens WHERE expires_ts <= ?", now)
            await txn.execute(
                "INSERT INTO short_lived_tokens (token_hash, kind, user_id, expires_ts) VALUES (?, ?, ?, ?)",
                token_hash,
                kind,
                user_id,
                expires_ts,
            )

    async def holder(self, kind: TokenKind, token_hash: str, now: int) -> str | None:
        """The active account a live token of this kind belongs to."""
        value = await self.db.fetchval(
            "SELECT t.user_id FROM short_lived_tokens t JOIN users u ON u.user_id = t.user_id"
            " WHERE t.token_hash = ? AND t.kind = ? AND t.expires_ts > ? AND u.deactivated = 0",
            token_hash,
            kind,
            now,
        )
        return None if value is None else str(value)

    async def consume(self, kind: TokenKind, token_hash: str, now: int) -> str | None:
        """The user a live token belongs to, deleting the token in the same statement: a second use, also
        from another process at the same moment, finds nothing."""
        async with self.db.transaction() as txn:
            row = await txn.fetchone(
                "DELETE FROM short_lived_tokens WHERE token_hash = ? AND kind = ? RETURNING user_id, expires_ts",
                token_hash,
                kind,
            )
        if row is None or int(row[1]) <= now:
            return None
        return str(row[0])

    async def delete_for_user(self, txn: Connection, user_id: str) -> None:
        await txn.execute("DELETE FROM short_lived_tokens WHERE user_id = ?", user_id)
