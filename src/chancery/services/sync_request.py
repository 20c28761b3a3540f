"""Sync tokens and the request a /sync response is built for."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import invalid_param
from ..events.filters import SyncFilter
from .requester import Requester


def parse_token(token: str | None) -> int | None:
    if token is None:
        return None
    if not token.startswith("s") or not token[1:].isdigit() or len(token) > 20:
        raise invalid_param("Invalid sync token")
    return int(token[1:])


def make_token(pos: int) -> str:
    return f"s{pos}"


@dataclass
class SyncRequest:
    requester: Requester
    since: int | None
    upto: int
    full_state: bool
    filter: SyncFilter
