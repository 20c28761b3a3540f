"""What the directory tests share: an administrator made with the CLI, and a server with [directory] settings."""

from __future__ import annotations

import asyncio
import json
import secrets
from pathlib import Path
from typing import Any

from tests.client import Api, User
from tests.serverproc import ServerProcess

ADMIN_PASSWORD = "administrator passphrase 1"


async def make_admin(api: Api, server: ServerProcess, tmp: Path) -> User:
    password = tmp / f"admin-{secrets.token_hex(4)}"
    password.write_text(ADMIN_PASSWORD + "\n")
    name = "adm" + secrets.token_hex(4)
    server.run_cli("user", "create", name, "--password-file", str(password), "--admin")
    return await api.login(User(f"@{name}:localhost", "", "", ADMIN_PASSWORD))


async def eventually_status(api: Api, user: User, path: str, expected: tuple[int, str | None]) -> None:
    """What the CLI changed reaches the running server's caches within a couple of seconds (its stream watch)."""
    reply = None
    for _ in range(50):
        reply = await api.request("GET", path, user)
        if (reply.status, reply.errcode) == expected:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{path}: {reply} after 5 s, expected {expected}")


def audit_entries(server: ServerProcess, action: str, target: str | None = None) -> list[dict[str, Any]]:
    """The audit log's entries for `action` (and `target`), as `chancery audit export` writes them."""
    lines = server.run_cli("audit", "export").splitlines()
    entries = [record["entry"] for record in map(json.loads, lines) if record["kind"] == "entry"]
    return [e for e in entries if e["action"] == action and (target is None or e["target"] == target)]
