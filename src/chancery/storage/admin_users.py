"""What the admin API reads and changes about accounts: the filtered, ordered user list and account flags."""

from __future__ import annotations

from dataclasses import dataclass

from .database import Connection, Database, Row
from .users import _like_pattern as like_pattern

# The admin API's sort keys (Synapse's names) and the column each sorts by.
USER_ORDER_COLUMNS = {
    "name": "u.user_id",
    "is_guest": "u.is_guest",
    "admin": "u.is_admin",
    "user_type": "u.user_id",  # no user types here: every account is a regular one
    "deactivated": "u.deactivated",
    "shadow_banned": "u.user_id",  # nobody is shadow-banned here
    "locked": "u.user_id",  # nor locked
    "displayname": "COALESCE(u.displayname, '')",
    "avatar_url": "COALESCE(u.avatar_url, '')",
    "creation_ts": "u.created_ts",
    "last_seen_ts": "COALESCE(seen.last_seen_ts, 0)",
}

_SELECT = (
    "SELECT u.user_id, u.is_admin, u.is_guest, u.deactivated, u.erased, u.displayname, u.avatar_url,"
    " u.created_ts, seen.last_seen_ts, u.password_hash IS NOT NULL"
    " FROM users u LEFT JOIN (SELECT user_id, MAX(last_seen_ts) AS last_seen_ts FROM devices GROUP BY user_id)"
    " seen ON seen.user_id = u.user_id"
)


@dataclass(frozen=True)
class AdminUserRow:
    user_id: str
    is_admin: bool
    is_guest: bool
    deactivated: bool
    erased: bool
    displayname: str | None
    avatar_url: str | None
    created_ts: int
    last_seen_ts: int | None
    has_password: bool


@dataclass(frozen=True)
class UserFilter:
    user_id: str | None = None  # substring of the user ID
    name: str | None = None  # substring of the user ID or display name
    guests: bool = True  # include guest accounts
    deactivated: bool = False  # include deactivated accounts
    admins: bool | None = None  # only administrators (True), only others (False), or everyone


def _row(row: Row) -> AdminUserRow:
    return AdminUserRow(
        str(row[0]),
        bool(row[1]),
        bool(row[2]),
        bool(row[3]),
        bool(row[4]),
        row[5],
        row[6],
        int(row[7]),
        None if row[8] is None else int(row[8]),
        bool(row[9]),
    )


def _where(wanted: UserFilter) -> tuple[str, list[object]]:
    clauses: list[str] = []
    args: list[object] = []
    if wanted.user_id:
        clauses.append("LOWER(u.user_id) LIKE ? ESCAPE '\\'")
        args.append(like_pattern(wanted.user_id))
    if wanted.name:
        clauses.append("(LOWER(u.user_id) LIKE ? ESCAPE '\\' OR LOWER(COALESCE(u.displayname, '')) LIKE ? ESCAPE '\\')")
        args += [like_pattern(wanted.name)] * 2
    if not wanted.guests:
        clauses.append("u.is_guest = 0")
    if not wanted.deactivated:
        clauses.append("u.deactivated = 0")
    if wanted.admins is not None:
        clauses.append("u.is_admin = ?")
        args.append(int(wanted.admins))
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), args


class AdminUserStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def list_users(
        self, wanted: UserFilter, order_by: str, descending: bool, offset: int, limit: int
    ) -> tuple[list[AdminUserRow], int]:
        """One page of the accounts matching `wanted`, ordered by a USER_ORDER_COLUMNS key, and how many match."""
        where, args = _where(wanted)
        direction = "DESC" if descending else "ASC"
        rows = await self.db.fetchall(
            f"{_SELECT}{where} ORDER BY {USER_ORDER_COLUMNS[order_by]} {direction}, u.user_id {direction}"
            " LIMIT ? OFFSET ?",
            *args,
            limit,
            offset,
        )
        total = await self.db.fetchval(f"SELECT COUNT(*) FROM users u{where}", *args)
        return [_row(r) for r in rows], int(total)

    async def get_user(self, user_id: str, conn: Connection | None = None) -> AdminUserRow | None:
        row = await (conn or self.db).fetchone(f"{_SELECT} WHERE u.user_id = ?", user_id)
        return None if row is None else _row(row)

    async def set_admin(self, txn: Connection, user_id: str, is_admin: bool) -> None:
        await txn.execute("UPDATE users SET is_admin = ? WHERE user_id = ?", int(is_admin), user_id)

    async def set_erased(self, txn: Connection, user_id: str, erased: bool) -> None:
        await txn.execute("UPDATE users SET erased = ? WHERE user_id = ?", int(erased), user_id)
