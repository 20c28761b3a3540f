"""The institution's directory: organisations, people, their history, and account lifecycle columns."""

from __future__ import annotations

from dataclasses import dataclass

from .database import Connection, Database, fetch_in


@dataclass(frozen=True)
class Person:
    """What the directory says about one account. `organisation` is a path ("Ministry/Unit")."""

    user_id: str
    display_name: str | None = None
    organisation: str | None = None
    position: str | None = None
    email: str | None = None
    phone: str | None = None
    external: bool = False
    # A clearance the source gives (issue 12, [classification] clearances_from_directory): the level, the
    # caveats joined by ";" (sorted), the expiry in milliseconds. None: the source says nothing.
    clearance_level: str | None = None
    clearance_caveats: str | None = None
    clearance_expires_ts: int | None = None


# The person fields a provisioning source sets, in the order a diff shows them.
PERSON_FIELDS = (
    "display_name",
    "organisation",
    "position",
    "email",
    "phone",
    "external",
    "clearance_level",
    "clearance_caveats",
    "clearance_expires_ts",
)


@dataclass(frozen=True)
class ManagedPerson:
    person: Person
    source: str
    deactivated: bool


@dataclass(frozen=True)
class Change:
    ts: int
    actor: str
    subject: str
    field: str
    old_value: str | None
    new_value: str | None


_PERSON = (
    "SELECT p.user_id, p.display_name, p.organisation, p.position, p.email, p.phone, u.is_external, p.source,"
    " u.deactivated, p.clearance_level, p.clearance_caveats, p.clearance_expires_ts"
    " FROM directory_people p JOIN users u ON u.user_id = p.user_id"
)


def _optional(value: object) -> str | None:
    return None if value is None else str(value)


def _managed(row: tuple[object, ...]) -> ManagedPerson:
    """(user_id, display_name, organisation, position, email, phone, is_external, source, deactivated,
    clearance_level, clearance_caveats, clearance_expires_ts)."""
    name, organisation, position, email, phone = (_optional(v) for v in row[1:6])
    expires = row[11]
    person = Person(
        str(row[0]),
        name,
        organisation,
        position,
        email,
        phone,
        bool(row[6]),
        _optional(row[9]),
        _optional(row[10]),
        int(expires) if isinstance(expires, int) else None,
    )
    return ManagedPerson(person, str(row[7]), bool(row[8]))


def profile_fields(
    displayname: str | None, avatar_url: str | None, organisation: str | None, position: str | None
) -> dict[str, str]:
    """The profile keys that are set (organisation and position under Chancery's namespaced keys)."""
    pairs = (
        ("displayname", displayname),
        ("avatar_url", avatar_url),
        ("org.chancery.organisation", organisation),
        ("org.chancery.position", position),
    )
    return {key: value for key, value in pairs if value}


def parent_paths(path: str) -> list[str]:
    """ "A/B/C" -> ["A", "A/B", "A/B/C"]."""
    parts = path.split("/")
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


class DirectoryStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- people -------------------------------------------------------------------------------------

    async def person(self, user_id: str, conn: Connection | None = None) -> ManagedPerson | None:
        row = await (conn or self.db).fetchone(_PERSON + " WHERE p.user_id = ?", user_id)
        return None if row is None else _managed(tuple(row))

    async def accounts_among(self, user_ids: list[str]) -> dict[str, tuple[bool, ManagedPerson | None]]:
        """For each of `user_ids` that has an account: (deactivated, the directory's record of it, if any)."""
        rows = await fetch_in(
            self.db,
            "SELECT u.user_id, u.deactivated, p.display_name, p.organisation, p.position, p.email, p.phone,"
            " u.is_external, p.source, p.clearance_level, p.clearance_caveats, p.clearance_expires_ts"
            " FROM users u LEFT JOIN directory_people p ON p.user_id = u.user_id WHERE u.user_id IN ({marks})",
            user_ids,
        )
        found: dict[str, tuple[bool, ManagedPerson | None]] = {}
        for r in rows:
            managed = None if r[8] is None else _managed((r[0], *r[2:9], r[1], *r[9:12]))
            found[str(r[0])] = (bool(r[1]), managed)
        return found

    async def people_of(self, source: str) -> dict[str, ManagedPerson]:
        rows = await self.db.fetchall(_PERSON + " WHERE p.source = ? ORDER BY p.user_id", source)
        return {str(r[0]): _managed(tuple(r)) for r in rows}

    async def put_person(self, txn: Connection, person: Person, source: str, now: int) -> None:
        await txn.execute(
            "INSERT INTO directory_people (user_id, display_name, organisation, position, email, phone, source,"
            " updated_ts, clearance_level, clearance_caveats, clearance_expires_ts)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET"
            " display_name = excluded.display_name, organisation = excluded.organisation,"
            " position = excluded.position, email = excluded.email, phone = excluded.phone,"
            " source = excluded.source, updated_ts = excluded.updated_ts,"
            " clearance_level = excluded.clearance_level, clearance_caveats = excluded.clearance_caveats,"
            " clearance_expires_ts = excluded.clearance_expires_ts",
            person.user_id,
            person.display_name,
            person.organisation,
            person.position,
            person.email,
            person.phone,
            source,
            now,
            person.clearance_level,
            person.clearance_caveats,
            person.clearance_expires_ts,
        )
        # The directory's display name is the account's (others see it; with lock_display_names only).
        await txn.execute(
            "UPDATE users SET is_external = ?, displayname = COALESCE(?, displayname) WHERE user_id = ?",
            int(person.external),
            person.display_name,
            person.user_id,
        )

    async def erase_person(self, txn: Connection, user_id: str) -> None:
        """Forget the person's directory data (contact details, position), keeping who provisioned them."""
        await txn.execute(
            "UPDATE directory_people SET display_name = NULL, organisation = NULL, position = NULL, email = NULL,"
            " phone = NULL WHERE user_id = ?",
            user_id,
        )

    async def profile(self, user_id: str) -> dict[str, str] | None:
        """An active account's profile as others see it (display name, avatar, organisation, position); None
        for an unknown or deactivated account."""
        row = await self.db.fetchone(
            "SELECT u.deactivated, u.displayname, u.avatar_url, p.organisation, p.position FROM users u"
            " LEFT JOIN directory_people p ON p.user_id = u.user_id WHERE u.user_id = ?",
            user_id,
        )
        if row is None or row[0]:
            return None
        return profile_fields(row[1], row[2], row[3], row[4])

    # -- organisations ------------------------------------------------------------------------------

    async def ensure_organisation(self, txn: Connection, path: str, now: int) -> list[str]:
        """Create the organisation and any missing parents; return the paths created."""
        created = []
        for current in parent_paths(path):
            parent, _, name = current.rpartition("/")
            exists = await txn.fetchval("SELECT 1 FROM directory_organisations WHERE path = ?", current)
            if exists is None:
                await txn.execute(
                    "INSERT INTO directory_organisations (path, name, parent_path, created_ts) VALUES (?, ?, ?, ?)",
                    current,
                    name,
                    parent or None,
                    now,
                )
                created.append(current)
        return created

    async def organisations(self) -> list[tuple[str, str, str | None]]:
        """(path, name, parent_path) of every organisation, parents before children."""
        rows = await self.db.fetchall("SELECT path, name, parent_path FROM directory_organisations ORDER BY path")
        return [(str(r[0]), str(r[1]), r[2]) for r in rows]

    # -- history ------------------------------------------------------------------------------------

    async def record_change(
        self, txn: Connection, now: int, actor: str, subject: str, field: str, old: str | None, new: str | None
    ) -> None:
        await txn.execute(
            "INSERT INTO directory_history (ts, actor, subject, field, old_value, new_value) VALUES (?, ?, ?, ?, ?, ?)",
            now,
            actor,
            subject,
            field,
            old,
            new,
        )

    async def history(self, subject: str, limit: int = 100) -> list[Change]:
        rows = await self.db.fetchall(
            "SELECT ts, actor, subject, field, old_value, new_value FROM directory_history WHERE subject = ?"
            " ORDER BY change_id DESC LIMIT ?",
            subject,
            limit,
        )
        return [Change(int(r[0]), str(r[1]), str(r[2]), str(r[3]), r[4], r[5]) for r in rows]

    # -- account lifecycle --------------------------------------------------------------------------

    async def expiry_of(self, user_id: str) -> int | None:
        value = await self.db.fetchval("SELECT expires_ts FROM users WHERE user_id = ?", user_id)
        return None if value is None else int(value)

    async def set_expiry(self, txn: Connection, user_id: str, expires_ts: int | None) -> None:
        await txn.execute("UPDATE users SET expires_ts = ? WHERE user_id = ?", expires_ts, user_id)

    async def set_terms_version(self, txn: Connection, user_id: str, version: str) -> None:
        await txn.execute("UPDATE users SET terms_version = ? WHERE user_id = ?", version, user_id)

    async def reactivate(self, txn: Connection, user_id: str, password_hash: str | None, displayname: str) -> bool:
        """Reopen a deactivated account; False when it is not deactivated."""
        reopened = await txn.fetchval(
            "UPDATE users SET deactivated = 0, password_hash = ?, displayname = ? WHERE user_id = ?"
            " AND deactivated = 1 RETURNING user_id",
            password_hash,
            displayname,
            user_id,
        )
        return reopened is not None
