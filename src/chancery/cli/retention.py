"""`chancery retention purge|hold` and `chancery spillage`: retention, legal hold and spillage from the
command line (also while the server runs)."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Literal

from .common import AddCommon, ResolveConfig, printing, run_with_services

if TYPE_CHECKING:
    from ..services.container import Services


def add_retention_commands(sub: Any, add_common: AddCommon, resolve_config: ResolveConfig) -> None:
    retention = sub.add_parser("retention", help="retention and legal hold").add_subparsers(
        dest="retention_command", required=True
    )
    purge = retention.add_parser("purge", help="delete expired messages now (as the background job does)")
    add_common(purge)

    def run_purge(args: argparse.Namespace) -> None:
        job = printing(lambda s: s.retention.purge.run(), "{}", show=lambda report: json.dumps(asdict(report)))
        run_with_services(args, resolve_config, job)

    purge.set_defaults(func=run_purge)

    hold = retention.add_parser("hold", help="place (or with --lift, lift) a legal hold on a room or a person")
    add_common(hold)
    target = hold.add_mutually_exclusive_group(required=True)
    target.add_argument("--room", help="room ID")
    target.add_argument("--user", help="user ID")
    hold.add_argument("--lift", action="store_true", help="lift the hold instead")
    hold.add_argument("--reason", help="why (kept with the hold)")

    def run_hold(args: argparse.Namespace) -> None:
        kind: Literal["room", "user"] = "room" if args.room else "user"
        name = args.room or args.user

        async def act(s: Services) -> None:
            if args.lift:
                await s.retention.holds.lift(kind, name)
            else:
                await s.retention.holds.place(kind, name, "cli", args.reason)

        done = f"{'Lifted' if args.lift else 'Placed'} the legal hold on {name}"
        run_with_services(args, resolve_config, printing(act, done))

    hold.set_defaults(func=run_hold)

    spillage = sub.add_parser("spillage", help="remove a spilled event and list who received it")
    add_common(spillage)
    spillage.add_argument("room_id")
    spillage.add_argument("event_id")
    spillage.add_argument(
        "--media", action="append", default=[], metavar="MXC", help="an attachment the server cannot see (encrypted)"
    )

    def run_spillage(args: argparse.Namespace) -> None:
        job = printing(
            lambda s: s.retention.spillage.mark("cli", args.room_id, args.event_id, args.media),
            "{}",
            show=lambda report: json.dumps(report, indent=2),
        )
        run_with_services(args, resolve_config, job)

    spillage.set_defaults(func=run_spillage)
