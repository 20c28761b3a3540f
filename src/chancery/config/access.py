"""[access]: Who may use which client endpoints without an account or outside shared rooms."""

from __future__ import annotations

from dataclasses import dataclass

from .sections import Section


@dataclass(frozen=True)
class AccessConfig(Section):
    TABLE = "access"
    TEMPLATE = """\
[access]
# Guest accounts (POST /register?kind=guest): anyone may get a short-lived identity that can read
# world-readable rooms and join rooms whose guest access is "can_join". Off: only real accounts.
# guest_access = false
# The public room directory (GET/POST /publicRooms) without an access token. Off: only signed-in users
# may list the rooms published in the directory.
# public_rooms_without_token = false
"""

    guest_access: bool = False
    public_rooms_without_token: bool = False
