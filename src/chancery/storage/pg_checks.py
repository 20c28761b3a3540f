"""Start-up check that PostgreSQL keeps what it acknowledges (DESIGN: a 200 survives a power cut).

With `fsync = off` a crash of the database machine can lose or corrupt committed data; with
`synchronous_commit = off` PostgreSQL acknowledges a commit before it is on disk, so a crash loses the
last moments of acknowledged events. Either breaks Chancery's promise, so the server refuses to start on
such a database unless the operator says so explicitly (`--allow-unsafe-durability`).
"""

from __future__ import annotations

import logging

from .database import Connection

log = logging.getLogger(__name__)

SAFE_SYNCHRONOUS_COMMIT = ("on", "local", "remote_write", "remote_apply")


class UnsafeDurabilityError(SystemExit):
    """Refuses to start: the message is shown to the operator as is (no traceback) and the exit status is 1."""


async def durability_problems(conn: Connection) -> list[str]:
    """What in this database's effective settings can lose an acknowledged commit (empty if nothing)."""
    problems = []
    # SHOW gives the value in effect for our sessions, including per-database and per-role overrides.
    synchronous_commit = str(await conn.fetchval("SHOW synchronous_commit")).lower()
    if synchronous_commit not in SAFE_SYNCHRONOUS_COMMIT:
        problems.append(
            f"synchronous_commit is '{synchronous_commit}' (must be one of {', '.join(SAFE_SYNCHRONOUS_COMMIT)})"
        )
    fsync = str(await conn.fetchval("SHOW fsync")).lower()
    if fsync != "on":
        problems.append(f"fsync is '{fsync}' (must be on)")
    return problems


async def check_durability(conn: Connection, *, allow_unsafe: bool) -> None:
    problems = await durability_problems(conn)
    if not problems:
        return
    summary = "; ".join(problems)
    if allow_unsafe:
        log.warning("PostgreSQL may lose acknowledged events: %s (allowed by allow_unsafe_durability)", summary)
        return
    raise UnsafeDurabilityError(
        f"Refusing to start: PostgreSQL is configured to lose acknowledged commits: {summary}.\n"
        "Fix postgresql.conf (or ALTER DATABASE/ROLE ... RESET), or start with --allow-unsafe-durability"
        " (config: allow_unsafe_durability = true) on a throwaway system."
    )
