"""Who is making a request: the user and device behind a valid access token, and from which address."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Requester:
    user_id: str
    device_id: str
    is_admin: bool
    token_hash: str
    is_guest: bool = False
    # The client's address for this request (behind a trusted proxy, the one it forwarded).
    ip: str | None = None
    # Account lifecycle (services/directory/lifecycle.py): expiry and the terms of use version accepted.
    account_expires_ts: int | None = None
    terms_version: str | None = None
    # Device control (issue 14): when the token stops working (ms, None: never), whether an administrator
    # approved the device (when approval is required), and whether it was remotely wiped.
    token_expires_ts: int | None = None
    approved: bool = True
    wiped: bool = False
