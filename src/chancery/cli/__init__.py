"""The `chancery` command: serve, and the subcommands operators run on the server's database (one module each)."""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import signal
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from ..app import create_server
from ..clock import Randomness
from ..config import CONFIG_FILE_NAME, Config, load_config_file, render_template
from ..logging_setup import configure_logging
from ..port_db import add_port_db_parser
from ..services.audit import Actor
from ..services.audit.actor import acting_as
from .args import parse_expiry
from .audit import add_audit_commands
from .clearance import add_clearance_commands
from .common import run_with_services
from .devices import add_device_commands
from .directory import add_directory_commands, add_user_lifecycle_commands, read_password_file
from .media import add_media_commands
from .retention import add_retention_commands

if TYPE_CHECKING:
    from ..services.container import Services

WARNING_BANNER = "\n" + "!" * 78 + "\n!! {}\n" + "!" * 78 + "\n"


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="configuration file (default: DATA_DIR/chancery.toml)")
    parser.add_argument("--data-dir", type=Path, default=Path("chancery-data"), help="data directory")
    parser.add_argument("--database", help="'sqlite' (default) or a postgresql:// URL")


def resolve_config(args: argparse.Namespace, *, create: bool) -> tuple[Config, bool]:
    """Build the configuration; on first start, write a commented config file. Returns (config, created)."""
    base = Config(data_dir=args.data_dir)
    overrides = {}
    if getattr(args, "server_name", None):
        overrides["server_name"] = args.server_name
    if getattr(args, "listen", None):
        overrides["listen"] = args.listen
        overrides["public_baseurl"] = f"http://{args.listen}/"
    if getattr(args, "database", None):
        overrides["database"] = args.database
    path = args.config or args.data_dir / CONFIG_FILE_NAME
    created = False
    if path.exists():
        config = load_config_file(path, base)
        config = replace(
            config, **{k: v for k, v in overrides.items() if k != "public_baseurl" or "listen" in overrides}
        )
    else:
        config = replace(base, **overrides)
        if create:
            config.validate()
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render_template(config), encoding="utf-8")
            created = True
    if getattr(args, "open_registration", False):
        config = replace(config, open_registration=True)
    if getattr(args, "no_rate_limits", False):
        config = replace(config, rate_limits=False)
    if getattr(args, "workers", None):
        config = replace(config, workers=args.workers)
    if getattr(args, "allow_unsafe_durability", False):
        config = replace(config, allow_unsafe_durability=True)
    config.validate()
    return config, created


def tune_garbage_collector() -> None:
    """Serving allocates many short-lived JSON objects; with the default thresholds the cyclic
    collector runs every 700 allocations and costs about a quarter of a /sync. Everything loaded at
    start-up is frozen out of collection, and young objects are collected ten times less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(7000, 20, 20)


async def _serve(config: Config, created: bool) -> None:
    server = await create_server(config)
    tune_garbage_collector()
    runner = web.AppRunner(server.app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port, reuse_port=config.workers > 1)
    await site.start()
    url = f"http://{config.listen}/"
    if created:
        print(f"Created {config.data_dir}/ with {CONFIG_FILE_NAME}, the signing key and the database.")
        print(
            "Create the first administrator with:\n"
            f"  chancery user create @admin:{config.server_name} --password-file FILE --admin"
            f" --data-dir {config.data_dir}"
        )
    print(f"Chancery is serving {config.server_name} at {url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    # Graceful: stop accepting, cut long polls short, let in-flight requests finish, close the DB.
    server.services.notifier.wake_all()
    await runner.shutdown()
    await runner.cleanup()
    await server.close()


def cmd_serve(args: argparse.Namespace) -> None:
    config, created = resolve_config(args, create=True)
    if config.open_registration:
        print(
            WARNING_BANNER.format("OPEN REGISTRATION: anyone who can reach this server can create an account."),
            file=sys.stderr,
        )
    if not config.rate_limits:
        print(
            WARNING_BANNER.format("RATE LIMITS OFF: for benchmarks only; never in production."),
            file=sys.stderr,
        )
    if config.workers > 1:
        from ..workers import run_workers

        run_workers(config, created, _serve)
        return
    asyncio.run(_serve(config, created))


def cmd_user_create(args: argparse.Namespace) -> None:
    password = read_password_file(args.password_file)

    async def job(services: Services) -> None:
        user_id = services.accounts.user_id_for(args.user_id)
        await services.accounts.create_account(user_id, password, is_admin=args.admin)
        print(f"Created {user_id}{' (administrator)' if args.admin else ''}")

    run_with_services(args, resolve_config, job)


def cmd_user_deactivate(args: argparse.Namespace) -> None:
    async def job(services: Services) -> None:
        await services.lifecycle.deactivate(args.user_id, Actor.cli(), erase=args.erase)
        print(f"Deactivated {args.user_id}")

    run_with_services(args, resolve_config, job)


def cmd_user_role(args: argparse.Namespace) -> None:
    async def job(services: Services) -> None:
        if args.grant:
            await services.roles.set_role(args.user_id, args.grant, True, "system:cli")
        if args.revoke:
            await services.roles.set_role(args.user_id, args.revoke, False, "system:cli")
        if args.external is not None:
            await services.roles.set_external(args.user_id, args.external == "yes")
        roles = sorted(await services.roles.roles_of(args.user_id))
        external = await services.storage.roles.is_external(args.user_id)
        print(f"{args.user_id}: roles {', '.join(roles) or '(none)'}; external: {'yes' if external else 'no'}")

    run_with_services(args, resolve_config, job)


def cmd_registration_token_create(args: argparse.Namespace) -> None:
    expiry = parse_expiry(args.expires) if args.expires else None
    if args.uses is not None and args.uses < 1:
        sys.exit("--uses must be at least 1")

    async def job(services: Services) -> None:
        token = _registration_token(services.randomness)
        async with services.storage.db.transaction() as txn:
            await services.storage.users.create_registration_token(
                token, args.uses, expiry, services.clock.now_ms(), txn
            )
            details = {
                "token_sha256": hashlib.sha256(token.encode()).hexdigest(),
                "uses": args.uses,
                "expiry_ts": expiry,
            }
            await services.audit.record(txn, Actor.cli(), "registration_token.create", None, details=details)
        print(token)

    run_with_services(args, resolve_config, job)


def _registration_token(randomness: Randomness) -> str:
    """A fresh token that no shell or option parser takes for an option (it never starts with '-')."""
    while True:
        token = randomness.token(18)
        if not token.startswith("-"):
            return token


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chancery", description="Chancery: a secure Matrix homeserver")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the homeserver")
    _add_common(serve)
    serve.add_argument("--listen", help="HOST:PORT to listen on (default 127.0.0.1:8008)")
    serve.add_argument("--server-name", help="the server name in user IDs (default localhost)")
    serve.add_argument("--open-registration", action="store_true", help="allow anyone to register (development)")
    serve.add_argument("--no-rate-limits", action="store_true", help="disable rate limits (benchmarks)")
    serve.add_argument("--workers", type=int, help="number of server processes (PostgreSQL only)")
    serve.add_argument(
        "--allow-unsafe-durability",
        action="store_true",
        help="start even if PostgreSQL runs with fsync or synchronous_commit off (loses acknowledged events)",
    )
    serve.set_defaults(func=cmd_serve)

    user = sub.add_parser("user", help="manage accounts").add_subparsers(dest="user_command", required=True)
    create = user.add_parser("create", help="create an account")
    _add_common(create)
    create.add_argument("user_id", help="@name:server or name")
    create.add_argument("--password-file", required=True, help="file holding the password (first line)")
    create.add_argument("--admin", action="store_true", help="make the account a server administrator")
    create.set_defaults(func=cmd_user_create)
    deactivate = user.add_parser("deactivate", help="deactivate an account everywhere")
    _add_common(deactivate)
    deactivate.add_argument("user_id")
    deactivate.add_argument("--erase", action="store_true", help="also forget the directory's data about them")
    deactivate.set_defaults(func=cmd_user_deactivate)
    add_user_lifecycle_commands(user, _add_common, resolve_config)

    role = user.add_parser("role", help="show, grant or withdraw institution roles and the external flag")
    _add_common(role)
    role.add_argument("user_id")
    role.add_argument("--grant", metavar="ROLE", help="grant a role (security_officer)")
    role.add_argument("--revoke", metavar="ROLE", help="withdraw a role")
    role.add_argument("--external", choices=["yes", "no"], help="mark the account as external (or not)")
    role.set_defaults(func=cmd_user_role)

    tokens = sub.add_parser("registration-token", help="manage registration tokens").add_subparsers(
        dest="token_command", required=True
    )
    token_create = tokens.add_parser("create", help="create a registration token and print it")
    _add_common(token_create)
    token_create.add_argument("--uses", type=int, help="how many registrations it allows (default unlimited)")
    token_create.add_argument("--expires", help="ISO 8601 expiry, e.g. 2027-01-31")
    token_create.set_defaults(func=cmd_registration_token_create)

    # Commands that live in their own modules add their subparsers below, one line each.
    add_media_commands(sub, _add_common, resolve_config)
    add_clearance_commands(sub, _add_common, resolve_config)
    add_device_commands(sub, _add_common, resolve_config)
    add_retention_commands(sub, _add_common, resolve_config)
    add_audit_commands(sub, _add_common, resolve_config)
    add_directory_commands(sub, _add_common, resolve_config)
    add_port_db_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> None:
    configure_logging()
    args = build_parser().parse_args(argv)
    if args.func is cmd_serve:
        args.func(args)
        return
    # Every change a command makes is audited as done through the CLI (by whoever can run it on the server).
    with acting_as(Actor.cli()):
        args.func(args)
