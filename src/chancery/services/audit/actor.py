"""Who did an audited thing: a user on a device from an address, the admin CLI, or a server job."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

Via = Literal["client", "admin", "cli", "server"]


class _RequesterLike(Protocol):
    @property
    def user_id(self) -> str: ...
    @property
    def device_id(self) -> str: ...
    @property
    def ip(self) -> str | None: ...


@dataclass(frozen=True)
class Actor:
    user_id: str | None
    device_id: str | None = None
    ip: str | None = None
    via: Via = "client"
    # For via="server": the job that acted (retention, expiry, ...).
    job: str | None = None

    @classmethod
    def of(cls, requester: _RequesterLike, via: Via = "client") -> Actor:
        """The person behind an authenticated request (via="admin" for the admin APIs)."""
        return cls(requester.user_id, requester.device_id or None, requester.ip, via)

    @classmethod
    def cli(cls) -> Actor:
        """Someone with access to the server's data directory, through the `chancery` command."""
        return cls(None, via="cli")

    @classmethod
    def server(cls, job: str) -> Actor:
        return cls(None, via="server", job=job)
