"""`chancery user reactivate|renew` and `chancery directory import|sync`: the directory from the command line."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..services.audit import Actor
from ..services.directory.ldap_source import LdapSettings, read_ldap
from ..services.directory.plan import describe
from ..services.directory.sources import CSV_COLUMNS, SourceError, read_csv
from ..storage.directory import Person
from .common import AddCommon, ResolveConfig, run_with_services

if TYPE_CHECKING:
    from ..services.container import Services

CLI_ACTOR = Actor.cli()


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
        from .args import parse_expiry

        until = parse_expiry(args.until) if args.until else None

        async def job(services: Services) -> None:
            expires_ts = await services.lifecycle.renew(args.user_id, CLI_ACTOR, expires_ts=until)
            print(f"Renewed {args.user_id}: " + ("never expires" if expires_ts is None else f"expires at {expires_ts}"))

        run_with_services(args, resolve_config, job)

    renew.set_defaults(func=run_renew)


async def _provision(services: Services, source: str, people: list[Person], dry_run: bool) -> None:
    steps = await services.provisioning.plan(source, people)
    for line in describe(steps):
        print(line)
    if dry_run:
        print("Dry run: nothing changed.")
        return
    if steps:
        await services.provisioning.apply(source, steps, CLI_ACTOR)
        print("Applied.")


def add_directory_commands(sub: Any, add_common: AddCommon, resolve_config: ResolveConfig) -> None:
    directory = sub.add_parser("directory", help="provision accounts from the institution's directory").add_subparsers(
        dest="directory_command", required=True
    )
    imports = directory.add_parser("import", help="make the accounts match a CSV file (see docs/directory.md)")
    add_common(imports)
    imports.add_argument("file", type=Path, help="CSV with a header: " + ", ".join(CSV_COLUMNS))
    imports.add_argument("--dry-run", action="store_true", help="print the changes without making them")

    def run_import(args: argparse.Namespace) -> None:
        async def job(services: Services) -> None:
            people = read_csv(args.file, services.accounts.user_id_for)
            await _provision(services, "csv", people, args.dry_run)

        run_source_job(args, resolve_config, job)

    imports.set_defaults(func=run_import)

    sync = directory.add_parser("sync", help="make the accounts match an LDAP directory")
    add_common(sync)
    sync.add_argument("--ldap", required=True, metavar="URL", help="ldap://host:port or ldaps://host:port")
    sync.add_argument("--base", required=True, metavar="DN", help="where the people are, e.g. ou=people,dc=example")
    sync.add_argument("--bind-dn", default="", help="service account to bind as (default: anonymous)")
    sync.add_argument("--password-file", help="file holding the bind password (first line)")
    sync.add_argument("--dry-run", action="store_true", help="print the changes without making them")

    def run_sync(args: argparse.Namespace) -> None:
        password = read_password_file(args.password_file) if args.password_file else ""
        settings = LdapSettings(args.ldap, args.base, args.bind_dn, password)

        async def job(services: Services) -> None:
            people = await asyncio.to_thread(read_ldap, settings, services.accounts.user_id_for)
            await _provision(services, "ldap", people, args.dry_run)

        run_source_job(args, resolve_config, job)

    sync.set_defaults(func=run_sync)


def run_source_job(
    args: argparse.Namespace, resolve_config: ResolveConfig, job: Callable[[Services], Awaitable[None]]
) -> None:
    """run_with_services, and a source that cannot be used lists its problems (nothing was changed)."""
    try:
        run_with_services(args, resolve_config, job)
    except SourceError as exc:
        sys.exit("Nothing changed:\n" + "\n".join(exc.problems))
