"""Fresh matrix-nio accounts for the end-to-end tests: one password, one plain (unencrypted) client setup."""

from __future__ import annotations

import time

import nio

PASSWORD = "correct horse battery"


def plain_config() -> nio.AsyncClientConfig:
    return nio.AsyncClientConfig(store_sync_tokens=False, encryption_enabled=False)


async def register_nio(base_url: str, device_name: str | None = None, prefix: str = "nio") -> nio.AsyncClient:
    """A client signed in as a newly registered account (m.login.dummy); the caller closes it."""
    client = nio.AsyncClient(base_url, "", config=plain_config())
    reply = await client.register(f"{prefix}{time.monotonic_ns()}", PASSWORD, device_name=device_name)
    assert isinstance(reply, nio.RegisterResponse), reply
    return client
