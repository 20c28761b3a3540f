"""`chancery media purge --older-than DAYS`: delete old media rows and the files no row uses any more."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from typing import Any

from ..config import Config

ResolveConfig = Callable[..., tuple[Config, bool]]


def add_media_commands(
    sub: Any,
    add_common: Callable[[argparse.ArgumentParser], None],
    resolve_config: ResolveConfig,
) -> None:
    media = sub.add_parser("media", help="manage the media repository").add_subparsers(
        dest="media_command", required=True
    )
    purge = media.add_parser("purge", help="delete media older than a number of days")
    add_common(purge)
    purge.add_argument("--older-than", type=float, required=True, metavar="DAYS", help="age in days")

    def run_purge(args: argparse.Namespace) -> None:
        if args.older_than < 0:
            sys.exit("--older-than must be zero or more days")
        config, _ = resolve_config(args, create=False)
        asyncio.run(_purge(config, args.older_than))

    purge.set_defaults(func=run_purge)


async def _purge(config: Config, days: float) -> None:
    from ..app import build_services, load_or_create_signing_key, open_database

    db = await open_database(config)
    try:
        services = build_services(config, db, load_or_create_signing_key(config))
        report = await services.media.purge_older_than(days)
    finally:
        await db.close()
    for media_id in report.media_ids:
        print(f"removed mxc://{config.server_name}/{media_id}")
    print(
        f"Removed {len(report.media_ids)} media item(s) and {report.files_removed} file(s), "
        f"{report.bytes_removed} bytes."
    )
