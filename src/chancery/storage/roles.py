"""Institution roles held by accounts (policy/roles.py names them) and the external-account flag."""

from __future__ import annotations

from .database import Connection, Database


class RoleStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def roles_of(self, user_id: str, conn: Connection | None = None) -> frozenset[str]:
        rows = await (conn or self.db).fetchall("SELECT role FROM user_roles WHERE user_id = ?", user_id)
        return frozenset(str(row[0]) for row in rows)

    async def holders(self, role: str) -> list[str]:
        rows = await self.db.fetchall("SELECT user_id FROM user_roles WHERE role = ? ORDER BY user_id", role)
        return [str(row[0]) for row in rows]

    async def grant(self, txn: Connection, user_id: str, role: str, granted_by: str, now: int) -> bool:
        """True when the role is new to the user."""
        if role in await self.roles_of(user_id, txn):
            return False
        await txn.execute(
            "INSERT INTO user_roles (user_id, role, granted_by, granted_ts) VALUES (?, ?, ?, ?)",
            user_id,
            role,
            granted_by,
            now,
        )
        return True

    async def revoke(self, txn: Connection, user_id: str, role: str) -> bool:
        """True when the user held the role."""
        if role not in await self.roles_of(user_id, txn):
            return False
        await txn.execute("DELETE FROM user_roles WHERE user_id = ? AND role = ?", user_id, role)
        return True

    async def is_external(self, user_id: str, conn: Connection | None = None) -> bool:
        value = await (conn or self.db).fetchval("SELECT is_external FROM users WHERE user_id = ?", user_id)
        return bool(value)

    async def set_external(self, txn: Connection, user_id: str, external: bool) -> None:
        await txn.execute("UPDATE users SET is_external = ? WHERE user_id = ?", int(external), user_id)
