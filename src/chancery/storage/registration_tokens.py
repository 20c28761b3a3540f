"""Registration tokens as administrators manage them (the registration flow's own reads are in users.py)."""

from __future__ import annotations

from dataclasses import dataclass

from .database import Connection, Database, Row

_COLUMNS = "token, uses_allowed, pending, completed, expiry_ts"
# Still usable at ? (now): not expired and uses left (the same condition registration applies).
_VALID = "(expiry_ts IS NULL OR expiry_ts > ?) AND (uses_allowed IS NULL OR pending + completed < uses_allowed)"


@dataclass(frozen=True)
class RegistrationToken:
    token: str
    uses_allowed: int | None
    pending: int
    completed: int
    expiry_ts: int | None


def _token(row: Row) -> RegistrationToken:
    return RegistrationToken(
        str(row[0]), None if row[1] is None else int(row[1]), int(row[2]), int(row[3]), row[4] and int(row[4])
    )


class RegistrationTokenStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def list(self, valid: bool | None, now: int) -> list[RegistrationToken]:
        where = "" if valid is None else f" WHERE {'' if valid else 'NOT '}({_VALID})"
        args = [] if valid is None else [now]
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM registration_tokens{where} ORDER BY created_ts, token", *args
        )
        return [_token(r) for r in rows]

    async def get(self, token: str) -> RegistrationToken | None:
        row = await self.db.fetchone(f"SELECT {_COLUMNS} FROM registration_tokens WHERE token = ?", token)
        return None if row is None else _token(row)

    async def create(
        self, txn: Connection, token: str, uses_allowed: int | None, expiry_ts: int | None, now: int
    ) -> bool:
        """False when the token already exists."""
        created = await txn.fetchval(
            "INSERT INTO registration_tokens (token, uses_allowed, expiry_ts, created_ts) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (token) DO NOTHING RETURNING token",
            token,
            uses_allowed,
            expiry_ts,
            now,
        )
        return created is not None

    async def update(self, txn: Connection, token: str, changes: dict[str, int | None]) -> bool:
        """Set `uses_allowed` and/or `expiry_ts`; False when the token does not exist."""
        columns = [column for column in ("uses_allowed", "expiry_ts") if column in changes]
        if not columns:
            return await txn.fetchval("SELECT 1 FROM registration_tokens WHERE token = ?", token) is not None
        assignments = ", ".join(f"{column} = ?" for column in columns)
        updated = await txn.fetchval(
            f"UPDATE registration_tokens SET {assignments} WHERE token = ? RETURNING token",
            *[changes[column] for column in columns],
            token,
        )
        return updated is not None

    async def delete(self, txn: Connection, token: str) -> bool:
        deleted = await txn.fetchval("DELETE FROM registration_tokens WHERE token = ? RETURNING token", token)
        return deleted is not None
