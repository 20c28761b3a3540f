"""Argument parsing shared by the `chancery` subcommands."""

from __future__ import annotations

import sys
from datetime import UTC, datetime


def parse_expiry(text: str, option: str = "--expires") -> int:
    """An ISO 8601 date or time given to `option` (UTC unless it says otherwise) in milliseconds since the epoch."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        sys.exit(f"{option} takes an ISO 8601 date or time, e.g. 2027-01-31 or 2027-01-31T12:00:00+00:00")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)
