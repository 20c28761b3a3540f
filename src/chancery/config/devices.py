"""[devices]: Device control: limits per person, session lifetime, stale devices, approval."""

from __future__ import annotations

from dataclasses import dataclass

from .sections import ConfigError, Section


@dataclass(frozen=True)
class DeviceConfig(Section):
    TABLE = "devices"
    TEMPLATE = """\
[devices]
# Most devices (sessions) one person may have; a login or registration beyond it is refused
# (403, org.chancery.reason "device_limit"). 0: no limit.
# max_per_user = 0
# Every session ends this many seconds after its sign-in, refresh tokens or not; then the person
# signs in again. 0: sessions do not end on their own.
# session_lifetime_s = 0
# For clients that ask for a refresh token at login ("refresh_token": true): their access token expires
# after this many seconds and is renewed with POST /refresh.
# access_token_lifetime_s = 300
# Devices unused for this many days are signed out and deleted (BundesMessenger uses 90). 0: never.
# stale_after_days = 0
# New devices wait for an administrator's approval (POST /_chancery/admin/v1/users/{userId}/devices/
# {deviceId}/approve or `chancery device approve`) before they may sync, fetch keys or read anything.
# require_approval = false
"""
    max_per_user: int = 0
    session_lifetime_s: int = 0
    access_token_lifetime_s: int = 300
    stale_after_days: int = 0
    require_approval: bool = False

    def __post_init__(self) -> None:
        for name in ("max_per_user", "session_lifetime_s", "stale_after_days"):
            if getattr(self, name) < 0:
                raise ConfigError(f"devices.{name} must not be negative")
        if self.access_token_lifetime_s < 1:
            raise ConfigError("devices.access_token_lifetime_s must be at least 1")
