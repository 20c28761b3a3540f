"""`chancery media purge --older-than DAYS`: delete old media rows and the files no row uses any more."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from .common import AddCommon, ResolveConfig, run_with_services

if TYPE_CHECKING:
    from ..services.container import Services


def add_media_commands(sub: Any, add_common: AddCommon, resolve_config: ResolveConfig) -> None:
    media = sub.add_parser("media", help="manage the media repository").add_subparsers(
        dest="media_command", required=True
    )
    purge = media.add_parser("purge", help="delete media older than a number of days")
    add_common(purge)
    purge.add_argument("--older-than", type=float, required=True, metavar="DAYS", help="age in days")

    def run_purge(args: argparse.Namespace) -> None:
        if args.older_than < 0:
            sys.exit("--older-than must be zero or more days")
        run_with_services(args, resolve_config, lambda services: _purge(services, args.older_than))

    purge.set_defaults(func=run_purge)


async def _purge(services: Services, days: float) -> None:
    report = await services.media.purge_older_than(days)
    for media_id in report.media_ids:
        print(f"removed mxc://{services.config.server_name}/{media_id}")
    print(
        f"Removed {len(report.media_ids)} media item(s) and {report.files_removed} file(s), "
        f"{report.bytes_removed} bytes."
    )
