"""Who is making a request: the user and device behind a valid access token."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Requester:
    user_id: str
    device_id: str
    is_admin: bool
    token_hash: str
    is_guest: bool = False
