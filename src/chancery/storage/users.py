"""Accounts, devices, access tokens, registration tokens and user-interactive auth sessions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from .database import Connection, Database


@dataclass(frozen=True)
class UserRow:
    user_id: str
    password_hash: str | None
    is_admin: bool
    deactivated: bool
    displayname: str | None
    avatar_url: str | None


@dataclass(frozen=True)
class TokenOwner:
    user_id: str
    device_id: str
    is_admin: bool
    is_guest: bool
    # Account lifecycle: when the account expires, and the terms of use version it accepted.
    account_expires_ts: int | None
    terms_version: str | None
    # Device control: when this token stops working, and whether the device is approved.
    token_expires_ts: int | None
    device_approved: bool


@dataclass(frozen=True)
class DeviceRow:
    device_id: str
    display_name: str | None
    last_seen_ts: int | None
    last_seen_ip: str | None


@dataclass(frozen=True)
class SearchHit:
    """A user-directory result: the profile and what the institution's directory shows of the person."""

    user_id: str
    displayname: str | None
    avatar_url: str | None
    organisation: str | None
    position: str | None


# By user ID, display name, organisation or position (the institution's directory, issue 11).
_SEARCH = (
    "SELECT users.user_id, users.displayname, users.avatar_url, p.organisation, p.position FROM users"
    " LEFT JOIN directory_people p ON p.user_id = users.user_id WHERE users.deactivated = 0"
    " AND (LOWER(users.user_id) LIKE ? ESCAPE '\\' OR LOWER(COALESCE(users.displayname, '')) LIKE ? ESCAPE '\\'"
    " OR LOWER(COALESCE(p.organisation, '')) LIKE ? ESCAPE '\\' OR LOWER(COALESCE(p.position, '')) LIKE ? ESCAPE '\\')"
)


def _hits(rows: list[Any]) -> list[SearchHit]:
    return [SearchHit(str(r[0]), r[1], r[2], r[3], r[4]) for r in rows]


def _like_pattern(term: str) -> str:
    return "%" + term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class UserStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create_user(
        self,
        txn: Connection,
        user_id: str,
        password_hash: str | None,
        is_admin: bool,
        now: int,
        *,
        is_guest: bool = False,
    ) -> None:
        await txn.execute(
            "INSERT INTO users (user_id, password_hash, is_admin, created_ts, displayname, is_guest)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            user_id,
            password_hash,
            int(is_admin),
            now,
            None if is_guest else user_id[1:].split(":", 1)[0],  # guests choose a name, if ever
            int(is_guest),
        )

    async def is_guest(self, user_id: str, conn: Connection | None = None) -> bool:
        return bool(await (conn or self.db).fetchval("SELECT is_guest FROM users WHERE user_id = ?", user_id))

    async def guests_in_room(self, room_id: str) -> list[str]:
        """The guest accounts joined to a room."""
        rows = await self.db.fetchall(
            "SELECT c.state_key FROM current_state c JOIN users u ON u.user_id = c.state_key WHERE c.room_id = ?"
            " AND c.type = 'm.room.member' AND c.membership = 'join' AND u.is_guest = 1",
            room_id,
        )
        return [str(r[0]) for r in rows]

    async def upgrade_guest(self, txn: Connection, user_id: str, password_hash: str | None) -> bool:
        """Make a guest account a full one; False when it is not (or no longer) a guest."""
        upgraded = await txn.fetchval(
            "UPDATE users SET is_guest = 0, password_hash = ? WHERE user_id = ? AND is_guest = 1 AND deactivated = 0"
            " RETURNING user_id",
            password_hash,
            user_id,
        )
        return upgraded is not None

    async def get_user(self, user_id: str) -> UserRow | None:
        row = await self.db.fetchone(
            "SELECT user_id, password_hash, is_admin, deactivated, displayname, avatar_url FROM users"
            " WHERE user_id = ?",
            user_id,
        )
        if row is None:
            return None
        return UserRow(str(row[0]), row[1], bool(row[2]), bool(row[3]), row[4], row[5])

    async def user_exists(self, user_id: str, conn: Connection | None = None) -> bool:
        return await (conn or self.db).fetchval("SELECT 1 FROM users WHERE user_id = ?", user_id) is not None

    async def set_password_hash(self, user_id: str, password_hash: str, conn: Connection | None = None) -> None:
        sql = "UPDATE users SET password_hash = ? WHERE user_id = ?"
        await (conn or self.db).execute(sql, password_hash, user_id)

    async def set_profile_field(self, user_id: str, field: str, value: str | None) -> None:
        column = {"displayname": "displayname", "avatar_url": "avatar_url"}[field]
        await self.db.execute(f"UPDATE users SET {column} = ? WHERE user_id = ?", value, user_id)

    async def mark_deactivated(self, txn: Connection, user_id: str) -> None:
        await txn.execute(
            "UPDATE users SET deactivated = 1, password_hash = NULL, displayname = NULL, avatar_url = NULL"
            " WHERE user_id = ?",
            user_id,
        )

    async def search(self, term: str, limit: int) -> list[SearchHit]:
        """Active users whose ID, display name, organisation or position contains `term` (case-insensitive)."""
        patterns = [_like_pattern(term)] * 4
        return _hits(await self.db.fetchall(f"{_SEARCH} ORDER BY users.user_id LIMIT ?", *patterns, limit))

    async def search_visible_to(self, searcher: str, term: str, limit: int) -> list[SearchHit]:
        """search(), limited to users joined to a room the searcher is joined to, or to a public room (one
        anyone may join or whose history is world-readable): the user directory's default scope."""
        patterns = [_like_pattern(term)] * 4
        rows = await self.db.fetchall(
            f"{_SEARCH} AND EXISTS (SELECT 1 FROM current_state theirs WHERE theirs.type = 'm.room.member'"
            " AND theirs.state_key = users.user_id AND theirs.membership = 'join' AND ("
            " theirs.room_id IN (SELECT mine.room_id FROM current_state mine WHERE mine.type = 'm.room.member'"
            " AND mine.state_key = ? AND mine.membership = 'join')"
            " OR theirs.room_id IN (SELECT room_id FROM rooms WHERE join_rule = 'public'"
            " OR history_visibility = 'world_readable')))"
            " ORDER BY users.user_id LIMIT ?",
            *patterns,
            searcher,
            limit,
        )
        return _hits(rows)

    # -- devices and tokens -------------------------------------------------------------------------

    async def upsert_device(
        self, txn: Connection, user_id: str, device_id: str, display_name: str | None, now: int
    ) -> bool:
        """Create the device if new; return True when it was created."""
        exists = await txn.fetchval("SELECT 1 FROM devices WHERE user_id = ? AND device_id = ?", user_id, device_id)
        if exists is not None:
            return False
        await txn.execute(
            "INSERT INTO devices (user_id, device_id, display_name, created_ts) VALUES (?, ?, ?, ?)",
            user_id,
            device_id,
            display_name,
            now,
        )
        return True

    async def add_access_token(self, txn: Connection, token_hash: str, user_id: str, device_id: str, now: int) -> None:
        await txn.execute(
            "INSERT INTO access_tokens (token_hash, user_id, device_id, created_ts) VALUES (?, ?, ?, ?)",
            token_hash,
            user_id,
            device_id,
            now,
        )

    async def lookup_token(self, token_hash: str) -> TokenOwner | None:
        """Who holds a live token of an active account, with the account's and the token's expiry."""
        row = await self.db.fetchone(
            "SELECT t.user_id, t.device_id, u.is_admin, u.is_guest, u.expires_ts, u.terms_version, t.expires_ts,"
            " COALESCE(d.approved, 1)"
            " FROM access_tokens t JOIN users u ON u.user_id = t.user_id"
            " LEFT JOIN devices d ON d.user_id = t.user_id AND d.device_id = t.device_id"
            " WHERE t.token_hash = ? AND u.deactivated = 0",
            token_hash,
        )
        if row is None:
            return None
        return TokenOwner(str(row[0]), str(row[1]), bool(row[2]), bool(row[3]), row[4], row[5], row[6], bool(row[7]))

    async def delete_token(self, txn: Connection, token_hash: str) -> None:
        await txn.execute("DELETE FROM access_tokens WHERE token_hash = ?", token_hash)

    async def delete_tokens(self, txn: Connection, user_id: str, device_id: str | None = None) -> None:
        if device_id is None:
            await txn.execute("DELETE FROM access_tokens WHERE user_id = ?", user_id)
        else:
            await txn.execute("DELETE FROM access_tokens WHERE user_id = ? AND device_id = ?", user_id, device_id)

    async def list_devices(self, user_id: str) -> list[DeviceRow]:
        rows = await self.db.fetchall(
            "SELECT device_id, display_name, last_seen_ts, last_seen_ip FROM devices WHERE user_id = ?"
            " ORDER BY created_ts, device_id",
            user_id,
        )
        return [DeviceRow(str(r[0]), r[1], r[2], r[3]) for r in rows]

    async def get_device(self, user_id: str, device_id: str) -> DeviceRow | None:
        row = await self.db.fetchone(
            "SELECT device_id, display_name, last_seen_ts, last_seen_ip FROM devices"
            " WHERE user_id = ? AND device_id = ?",
            user_id,
            device_id,
        )
        return None if row is None else DeviceRow(str(row[0]), row[1], row[2], row[3])

    async def set_device_name(self, txn: Connection, user_id: str, device_id: str, name: str | None) -> None:
        await txn.execute(
            "UPDATE devices SET display_name = ? WHERE user_id = ? AND device_id = ?",
            name,
            user_id,
            device_id,
        )

    async def touch_device(self, user_id: str, device_id: str, now: int, ip: str | None) -> None:
        await self.db.execute(
            "UPDATE devices SET last_seen_ts = ?, last_seen_ip = ? WHERE user_id = ? AND device_id = ?",
            now,
            ip,
            user_id,
            device_id,
        )

    async def delete_device_row(self, txn: Connection, user_id: str, device_id: str) -> None:
        await txn.execute("DELETE FROM devices WHERE user_id = ? AND device_id = ?", user_id, device_id)

    async def device_ids(self, conn: Connection, user_id: str) -> list[str]:
        rows = await conn.fetchall("SELECT device_id FROM devices WHERE user_id = ?", user_id)
        return [str(r[0]) for r in rows]

    # -- registration tokens ------------------------------------------------------------------------

    async def create_registration_token(
        self, token: str, uses_allowed: int | None, expiry_ts: int | None, now: int, conn: Connection | None = None
    ) -> None:
        await (conn or self.db).execute(
            "INSERT INTO registration_tokens (token, uses_allowed, expiry_ts, created_ts) VALUES (?, ?, ?, ?)",
            token,
            uses_allowed,
            expiry_ts,
            now,
        )

    async def registration_token(self, conn: Connection, token: str) -> tuple[int | None, int, int, int | None] | None:
        row = await conn.fetchone(
            "SELECT uses_allowed, pending, completed, expiry_ts FROM registration_tokens WHERE token = ?",
            token,
        )
        return None if row is None else (row[0], int(row[1]), int(row[2]), row[3])

    async def use_registration_token(self, txn: Connection, token: str, now: int) -> bool:
        """Count one use of a token that is still valid (known, not used up, not expired at `now`); False
        when it is not. One conditional UPDATE: on PostgreSQL a concurrent use waits for this row's lock and
        then re-checks the condition, so however many processes register at once, no more than the allowed
        uses succeed."""
        counted = await txn.fetchval(
            "UPDATE registration_tokens SET completed = completed + 1 WHERE token = ?"
            " AND (uses_allowed IS NULL OR pending + completed < uses_allowed)"
            " AND (expiry_ts IS NULL OR expiry_ts > ?) RETURNING token",
            token,
            now,
        )
        return counted is not None

    # -- user-interactive auth sessions ---------------------------------------------------------

    async def create_uia_session(
        self, session_id: str, purpose: str, user_id: str | None, params: dict[str, Any], now: int
    ) -> None:
        await self.db.execute(
            "INSERT INTO uia_sessions (session_id, created_ts, purpose, user_id, completed, params)"
            " VALUES (?, ?, ?, ?, '[]', ?)",
            session_id,
            now,
            purpose,
            user_id,
            orjson.dumps(params).decode(),
        )

    async def get_uia_session(self, session_id: str) -> tuple[str, str | None, list[str], dict[str, Any], int] | None:
        row = await self.db.fetchone(
            "SELECT purpose, user_id, completed, params, created_ts FROM uia_sessions WHERE session_id = ?",
            session_id,
        )
        if row is None:
            return None
        return str(row[0]), row[1], orjson.loads(row[2]), orjson.loads(row[3]), int(row[4])

    async def set_uia_completed(self, session_id: str, completed: list[str]) -> None:
        await self.db.execute(
            "UPDATE uia_sessions SET completed = ? WHERE session_id = ?",
            orjson.dumps(completed).decode(),
            session_id,
        )

    async def set_uia_params(self, session_id: str, params: dict[str, Any]) -> None:
        await self.db.execute(
            "UPDATE uia_sessions SET params = ? WHERE session_id = ?",
            orjson.dumps(params).decode(),
            session_id,
        )

    async def delete_uia_session(self, session_id: str) -> None:
        await self.db.execute("DELETE FROM uia_sessions WHERE session_id = ?", session_id)

    async def delete_uia_sessions_before(self, ts: int) -> None:
        await self.db.execute("DELETE FROM uia_sessions WHERE created_ts < ?", ts)
