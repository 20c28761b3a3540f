"""`chancery user reactivate|renew` and `chancery directory import|sync`: the directory from the command line."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Config
from .errors import MatrixError
from .services.directory.audit_port import Acting

if TYPE_CHECKING:
    from .services.container import Services

ResolveConfig = Callable[..., tuple[Config, bool]]
AddCommon = Callable[[argparse.ArgumentParser], None]
CLI_ACTOR = Acting(None, via="cli")


def run_with_services(
    args: argparse.Namespace, resolve_config: ResolveConfig, job: Callable[[Services], Awaitable[None]]
) -> None:
    """Run `job` against the server's database; a Matrix error or a missing file is a one-line error."""
    config, _ = resolve_config(args, create=False)

    async def run() -> None:
        from .app import build_services, load_or_create_signing_key, open_database

        db = await open_database(config)
        try:
            await job(build_services(config, db, load_or_create_signing_key(config)))
        finally:
            await db.close()

    try:
        asyncio.run(run())
    except MatrixError as exc:
        sys.exit(exc.error)
    except OSError as exc:
        sys.exit(f"{exc.filename or ''}: {exc.strerror or exc}")


def read_password_file(path: str) -> str:
    try:
        password = Path(path).read_text(encoding="utf-8").rstrip("\n")
    except OSError as exc:
        sys.exit(f"Cannot read the password file {path}: {exc.strerror}")
    if not password:
        sys.exit("The password file is empty")
    return password


def add_user_lifecycle_commands(user: Any, add_common: AddCommon, resolve_config: ResolveConfig) -> None:
    reactivate = user.add_parser("reactivate", help="reopen a deactivated account")
    add_common(reactivate)
    reactivate.add_argument("user_id")
    reactivate.add_argument("--password-file", help="file holding a new password (first line)")

    def run_reactivate(args: argparse.Namespace) -> None:
        password = read_password_file(args.password_file) if args.password_file else None

        async def job(services: Services) -> None:
            await services.lifecycle.reactivate(args.user_id, CLI_ACTOR, password=password)
            print(f"Reactivated {args.user_id}")

        run_with_services(args, resolve_config, job)

    reactivate.set_defaults(func=run_reactivate)

    renew = user.add_parser("renew", help="renew an account's validity ([directory] account_validity_days)")
    add_common(renew)
    renew.add_argument("user_id")
    renew.add_argument("--until", help="ISO 8601 date or time it expires (default: the configured validity)")

    def run_renew(args: argparse.Namespace) -> None:
        from .cli import _parse_expiry

        until = _parse_expiry(args.until) if args.until else None

        async def job(services: Services) -> None:
            expires_ts = await services.lifecycle.renew(args.user_id, CLI_ACTOR, expires_ts=until)
            print(f"Renewed {args.user_id}: " + ("never expires" if expires_ts is None else f"expires at {expires_ts}"))

        run_with_services(args, resolve_config, job)

    renew.set_defaults(func=run_renew)
