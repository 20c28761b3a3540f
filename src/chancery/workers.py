"""Several server processes on one machine (`chancery serve --workers N`): filled in by issue 5."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from .config import Config


def run_workers(config: Config, created: bool, serve: Callable[[Config, bool], Awaitable[None]]) -> None:
    raise SystemExit("--workers is not available yet")
