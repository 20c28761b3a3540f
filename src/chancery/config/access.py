"""[access]: Who may use which client endpoints without an account or outside shared rooms."""

from __future__ import annotations

from dataclasses import dataclass

from .sections import ConfigError, Section


@dataclass(frozen=True)
class AccessConfig(Section):
    TABLE = "access"
    TEMPLATE = """\
[access]
# Profiles (display name, avatar) only for requests with an access token.
require_auth_for_profile_requests = true
# true: a user's profile only for users who share a room with them (their own always).
limit_profile_requests_to_users_who_share_rooms = false
# Guest accounts (POST /register?kind=guest): anyone may get a short-lived identity that can read
# world-readable rooms and join rooms whose guest access is "can_join". Off: only real accounts.
# guest_access = false
# The public room directory (GET/POST /publicRooms) without an access token. Off: only signed-in users
# may list the rooms published in the directory.
# public_rooms_without_token = false
# A signed-in device may make a single-use login token (POST /login/get_token, behind the account's
# password) with which a new device signs in (m.login.token), e.g. by scanning a QR code. Off by default.
# login_tokens = false
# How long such a token is valid, in seconds.
# login_token_lifetime = 120
"""
    require_auth_for_profile_requests: bool = True
    limit_profile_requests_to_users_who_share_rooms: bool = False

    guest_access: bool = False
    public_rooms_without_token: bool = False
    login_tokens: bool = False
    login_token_lifetime: int = 120

    def __post_init__(self) -> None:
        if not 10 <= self.login_token_lifetime <= 600:
            raise ConfigError("access.login_token_lifetime must be between 10 and 600 seconds")
