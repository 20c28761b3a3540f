"""`chancery clearance set|show|revoke`: a security officer's work from the server's shell."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .args import parse_expiry
from .common import AddCommon, ResolveConfig, run_with_services

if TYPE_CHECKING:
    from ..services.classification.clearances import ClearanceService
    from ..services.container import Services

CLI_ACTOR = "system:cli"


def add_clearance_commands(sub: Any, add_common: AddCommon, resolve_config: ResolveConfig) -> None:
    clearance = sub.add_parser("clearance", help="manage personal clearances").add_subparsers(
        dest="clearance_command", required=True
    )
    set_ = clearance.add_parser("set", help="set (replace) a person's clearance")
    add_common(set_)
    set_.add_argument("user_id")
    set_.add_argument("--level", required=True, help="a level of [classification] levels")
    set_.add_argument("--caveat", action="append", default=[], help="a caveat held (repeat for several)")
    set_.add_argument("--expires", help="ISO 8601 date or time the clearance ends, e.g. 2027-06-30")
    show = clearance.add_parser("show", help="show a person's clearance")
    add_common(show)
    show.add_argument("user_id")
    revoke = clearance.add_parser("revoke", help="revoke a clearance; the person leaves every classified room")
    add_common(revoke)
    revoke.add_argument("user_id")

    def run(args: argparse.Namespace) -> None:
        async def job(services: Services) -> None:
            print(await _run(services.classification, args))

        run_with_services(args, resolve_config, job)

    for parser in (set_, show, revoke):
        parser.set_defaults(func=run)


def _expiry_ms(text: str | None) -> int | None:
    return None if text is None else parse_expiry(text)


def _describe(user_id: str, clearance: dict[str, Any]) -> str:
    caveats = ", ".join(clearance["caveats"]) or "(none)"
    expires = clearance["expires_ts"]
    until = datetime.fromtimestamp(expires / 1000, UTC).isoformat() if expires is not None else "no expiry"
    return f"{user_id}: {clearance['level']}; caveats {caveats}; {until}; set by {clearance['set_by']}"


def _removed(rooms: list[str]) -> str:
    return f"\nRemoved from {len(rooms)} room(s): {', '.join(rooms)}" if rooms else ""


async def _run(service: ClearanceService, args: argparse.Namespace) -> str:
    command: str = args.clearance_command
    actions: dict[str, Callable[[], Awaitable[str]]] = {
        "show": lambda: _show(service, args.user_id),
        "set": lambda: _set(service, args),
        "revoke": lambda: _revoke(service, args.user_id),
    }
    return await actions[command]()


async def _show(service: ClearanceService, user_id: str) -> str:
    return _describe(user_id, await service.get_clearance(user_id))


async def _set(service: ClearanceService, args: argparse.Namespace) -> str:
    clearance, removed = await service.set_clearance(
        args.user_id, args.level, args.caveat, _expiry_ms(args.expires), CLI_ACTOR
    )
    return _describe(args.user_id, clearance) + _removed(removed)


async def _revoke(service: ClearanceService, user_id: str) -> str:
    return f"{user_id}: clearance revoked" + _removed(await service.revoke_clearance(user_id))
