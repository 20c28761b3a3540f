"""`chancery device wipe|approve|pending|purge-stale`: device control from the command line, also while the server
runs (revocations reach the running processes within about a second, like `chancery user deactivate`)."""

from __future__ import annotations

import argparse
from typing import Any

from .common import AddCommon, ResolveConfig, printing, run_with_services


def add_device_commands(sub: Any, add_common: AddCommon, resolve_config: ResolveConfig) -> None:
    device = sub.add_parser("device", help="device control").add_subparsers(dest="device_command", required=True)

    wipe = device.add_parser("wipe", help="revoke a device, remove its keys and have it erase its data")
    add_common(wipe)
    wipe.add_argument("user_id")
    wipe.add_argument("device_id")
    wipe.add_argument("--reason", default="Wiped by an administrator", help="shown on the device")

    def run_wipe(args: argparse.Namespace) -> None:
        job = printing(
            lambda s: s.devices.wipes.wipe(None, args.user_id, args.device_id, args.reason),
            f"Wiped {args.device_id} of {args.user_id}",
        )
        run_with_services(args, resolve_config, job)

    wipe.set_defaults(func=run_wipe)

    approve = device.add_parser("approve", help="let a new device use the server ([devices] require_approval)")
    add_common(approve)
    approve.add_argument("user_id")
    approve.add_argument("device_id")

    def run_approve(args: argparse.Namespace) -> None:
        job = printing(
            lambda s: s.devices.approval.approve(args.user_id, args.device_id),
            f"Approved {args.device_id} of {args.user_id}",
        )
        run_with_services(args, resolve_config, job)

    approve.set_defaults(func=run_approve)

    pending = device.add_parser("pending", help="list new devices waiting for approval")
    add_common(pending)

    def show_pending(rows: list[dict[str, Any]]) -> str:
        lines = [f"{r['user_id']} {r['device_id']} {r['display_name'] or ''}".rstrip() for r in rows]
        return "\n".join(lines) or "No device is waiting for approval"

    def run_pending(args: argparse.Namespace) -> None:
        run_with_services(args, resolve_config, printing(lambda s: s.devices.approval.awaiting(), "{}", show_pending))

    pending.set_defaults(func=run_pending)

    stale = device.add_parser("purge-stale", help="delete devices unused for a number of days")
    add_common(stale)
    stale.add_argument("--days", type=int, help="default: [devices] stale_after_days")

    def run_stale(args: argparse.Namespace) -> None:
        job = printing(lambda s: s.devices.activity.purge_stale(args.days), "Deleted {} stale device(s)")
        run_with_services(args, resolve_config, job)

    stale.set_defaults(func=run_stale)
