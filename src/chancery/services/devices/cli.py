"""`chancery device wipe|approve|purge-stale`: device control from the command line, also while the server
runs (revocations reach the running processes within about a second, like `chancery user deactivate`)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from ...config import Config
from ...errors import MatrixError

ResolveConfig = Callable[..., tuple[Config, bool]]


def add_device_commands(
    sub: Any, add_common: Callable[[argparse.ArgumentParser], None], resolve_config: ResolveConfig
) -> None:
    device = sub.add_parser("device", help="device control").add_subparsers(dest="device_command", required=True)

    wipe = device.add_parser("wipe", help="revoke a device, remove its keys and have it erase its data")
    add_common(wipe)
    wipe.add_argument("user_id")
    wipe.add_argument("device_id")
    wipe.add_argument("--reason", default="Wiped by an administrator", help="shown on the device")
    wipe.set_defaults(
        func=lambda args: run_with_services(
            resolve_config,
            args,
            lambda s: s.devices.wipes.wipe(None, args.user_id, args.device_id, args.reason),
            f"Wiped {args.device_id} of {args.user_id}",
        )
    )

    approve = device.add_parser("approve", help="let a new device use the server ([devices] require_approval)")
    add_common(approve)
    approve.add_argument("user_id")
    approve.add_argument("device_id")
    approve.set_defaults(
        func=lambda args: run_with_services(
            resolve_config,
            args,
            lambda s: s.devices.approval.approve(args.user_id, args.device_id),
            f"Approved {args.device_id} of {args.user_id}",
        )
    )

    pending = device.add_parser("pending", help="list new devices waiting for approval")
    add_common(pending)
    pending.set_defaults(
        func=lambda args: run_with_services(
            resolve_config,
            args,
            lambda s: s.devices.approval.awaiting(),
            "{}",
            show=lambda rows: (
                "\n".join(f"{r['user_id']} {r['device_id']} {r['display_name'] or ''}" for r in rows)
                or "No device is waiting for approval"
            ),
        )
    )

    stale = device.add_parser("purge-stale", help="delete devices unused for a number of days")
    add_common(stale)
    stale.add_argument("--days", type=int, help="default: [devices] stale_after_days")
    stale.set_defaults(
        func=lambda args: run_with_services(
            resolve_config, args, lambda s: s.devices.activity.purge_stale(args.days), "Deleted {} stale device(s)"
        )
    )


def run_with_services(
    resolve_config: ResolveConfig,
    args: argparse.Namespace,
    action: Callable[[Any], Awaitable[Any]],
    done: str,
    show: Callable[[Any], str] = str,
) -> None:
    """Run `action` on the services of the configured database; print `done` with its result shown by `show`;
    a Matrix error becomes a one-line message and exit status 1."""
    config, _ = resolve_config(args, create=False)

    async def run() -> None:
        from ...app import build_services, load_or_create_signing_key, open_database

        db = await open_database(config)
        try:
            services = build_services(config, db, load_or_create_signing_key(config))
            result = await action(services)
            print(done.format(show(result)))
        except MatrixError as exc:
            sys.exit(exc.error)
        finally:
            await db.close()

    asyncio.run(run())
