"""What every `chancery` subcommand that works on the database shares: its configuration, the services built
on that database (also while the server runs), and one-line errors."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from ..config import Config
from ..errors import MatrixError

if TYPE_CHECKING:
    from ..services.container import Services

ResolveConfig = Callable[..., tuple[Config, bool]]
AddCommon = Callable[[argparse.ArgumentParser], None]


@asynccontextmanager
async def open_services(config: Config) -> AsyncIterator[Services]:
    """Every service, on the configured database, closed afterwards."""
    from ..app import build_services, load_or_create_signing_key, open_database

    db = await open_database(config)
    try:
        yield build_services(config, db, load_or_create_signing_key(config))
    finally:
        await db.close()


def run_with_services(
    args: argparse.Namespace, resolve_config: ResolveConfig, job: Callable[[Services], Awaitable[Any]]
) -> None:
    """Run `job` against the server's database; a Matrix error or a missing file is a one-line error."""
    config, _ = resolve_config(args, create=False)

    async def run() -> None:
        async with open_services(config) as services:
            await job(services)

    try:
        asyncio.run(run())
    except MatrixError as exc:
        sys.exit(exc.error)
    except OSError as exc:
        sys.exit(f"{exc.filename or ''}: {exc.strerror or exc}")


def printing(
    action: Callable[[Services], Awaitable[Any]], done: str, show: Callable[[Any], str] = str
) -> Callable[[Services], Awaitable[None]]:
    """A job that runs `action` and prints `done` with its result shown by `show` in place of `{}`."""

    async def job(services: Services) -> None:
        print(done.format(show(await action(services))))

    return job
