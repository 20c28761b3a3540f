"""`chancery audit verify|export|checkpoint`: check the audit chain (in the database or offline, from an
export), export it as JSON Lines, write a signed checkpoint now."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

import orjson

from ..config import Config
from ..services.audit.verify import Verification, export_log, verify_export, verify_log
from .args import parse_expiry
from .common import AddCommon, ResolveConfig, open_services


def add_audit_commands(sub: Any, add_common: AddCommon, resolve_config: ResolveConfig) -> None:
    audit = sub.add_parser("audit", help="verify, export and checkpoint the audit log").add_subparsers(
        dest="audit_command", required=True
    )
    verify = audit.add_parser("verify", help="check the audit chain; names the first bad entry")
    add_common(verify)
    verify.add_argument("--export", type=Path, metavar="FILE", help="verify this export offline, not the database")
    verify.add_argument("--key", metavar="PUBKEY", help="the audit public key (base64 ed25519); default: configured")
    verify.set_defaults(func=lambda args: _verify(args, resolve_config))

    export = audit.add_parser("export", help="write the audit log as JSON Lines")
    add_common(export)
    export.add_argument("--since", help="ISO 8601 date or time: entries from then on (and the checkpoint before)")
    export.add_argument("--format", choices=["jsonl"], default="jsonl")
    export.add_argument("--output", type=Path, metavar="FILE", help="default: standard output")
    export.set_defaults(func=lambda args: asyncio.run(_export(args, resolve_config(args, create=False)[0])))

    checkpoint = audit.add_parser("checkpoint", help="sign the chain's current end now")
    add_common(checkpoint)
    checkpoint.set_defaults(func=lambda args: asyncio.run(_checkpoint(resolve_config(args, create=False)[0])))


def _verify(args: argparse.Namespace, resolve_config: ResolveConfig) -> None:
    async def run() -> Verification:
        if args.export is not None and args.key is not None:
            with args.export.open("rb") as lines:
                return verify_export(lines, args.key)
        async with open_services(resolve_config(args, create=False)[0]) as services:
            key = args.key or services.audit.checkpointer.public_key["key"]
            if args.export is not None:
                with args.export.open("rb") as lines:
                    return verify_export(lines, key)
            return await verify_log(services.storage, key)

    result = asyncio.run(run())
    if result.broken is not None:
        sys.exit(f"FAILED at seq {result.broken.seq}: {result.broken.problem}")
    print(f"OK: {result.entries} entries, {result.checkpoints} signed checkpoints, chain end seq {result.last_seq}")


async def _export(args: argparse.Namespace, config: Config) -> None:
    since = parse_expiry(args.since, "--since") if args.since else None
    out = args.output.open("wb") if args.output else sys.stdout.buffer
    try:
        async with open_services(config) as services:
            async for line in export_log(services.storage, since):
                out.write(orjson.dumps(line) + b"\n")
    finally:
        if args.output:
            out.close()
        else:
            out.flush()


async def _checkpoint(config: Config) -> None:
    async with open_services(config) as services:
        seq = await services.audit.checkpointer.checkpoint_now()
        key = services.audit.checkpointer.public_key
    print(f"Checkpoint at seq {seq}" if seq is not None else "The chain's end is already checkpointed")
    print(f"Audit public key {key['key_id']}: {key['key']}")
