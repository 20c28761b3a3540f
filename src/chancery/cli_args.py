"""Argument parsing shared by the `chancery` subcommands."""

from __future__ import annotations

import sys
from datetime import UTC, datetime


def parse_expiry(text: str) -> int:
    """An `--expires` ISO 8601 date or time (UTC unless it says otherwise) in milliseconds since the epoch."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        sys.exit("--expires takes an ISO 8601 date or time, e.g. 2027-01-31 or 2027-01-31T12:00:00+00:00")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)
