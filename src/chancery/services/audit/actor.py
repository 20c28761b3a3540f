"""Who did an audited thing: a user on a device from an address, the admin CLI, or a server job."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
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


# The actor of the request (or CLI command, or server job) being handled. Set once where a request is
# authenticated (http/routing.py), so that changes made deep inside services, such as the membership
# events a deactivation writes, are attributed to the person who asked without threading an Actor
# through every call. A context variable: each request task sees its own.
_current: ContextVar[Actor | None] = ContextVar("chancery_audit_actor", default=None)


def current_actor() -> Actor | None:
    return _current.get()


@contextmanager
def acting_as(actor: Actor) -> Iterator[None]:
    """Attribute what happens inside the block (in this task and tasks it starts) to `actor`."""
    token = _current.set(actor)
    try:
        yield
    finally:
        _current.reset(token)
