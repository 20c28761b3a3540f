"""A server with a classification scheme of its own, per engine, and helpers for tests of classified rooms
(tests/api/test_classification.py, the matrix-nio and matrix-js-sdk scenarios, the two-process tests).

Import the fixtures (`classified`, `capi`, `officer_name`, `officer`) into a test module to use them there."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tests.client import Api, C, Reply, User, q
from tests.conftest import ENGINES
from tests.own_server import RELAXED, client_of, own_server
from tests.serverproc import ServerProcess

SCHEME_TOML = """
[classification]
levels = [
    { name = "OFFICIAL", colour = "#2b6cb0" },
    { name = "RESTRICTED" },
    { name = "CONFIDENTIAL", colour = "#b7791f", watermark = true },
    { name = "SECRET", colour = "#c53030", watermark = true, allow_export = false },
]
caveats = ["NATO", "EU"]
default_level = "OFFICIAL"
accredited_devices_above = "RESTRICTED"
expiry_sweep_seconds = 0.2
clearances_from_directory = true
"""
CLEARANCES = "/_chancery/admin/v1/clearances/"
CLASSIFICATION = "org.chancery.classification"
OFFICER_PASSWORD = "correct horse"


@pytest.fixture(scope="module", params=ENGINES)
def classified(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    yield from own_server(request, tmp_path_factory, "classified", SCHEME_TOML, *RELAXED)


@pytest.fixture
async def capi(classified: ServerProcess) -> AsyncIterator[Api]:
    async for client in client_of(classified):
        yield client


@pytest.fixture(scope="module")
def officer_name(classified: ServerProcess) -> str:
    name = "officer" + secrets.token_hex(4)
    password_file = classified.data_dir.parent / "officer-password"
    password_file.write_text(OFFICER_PASSWORD + "\n")
    classified.run_cli("user", "create", name, "--password-file", str(password_file))
    classified.run_cli("user", "role", f"@{name}:localhost", "--grant", "security_officer")
    return name


@pytest.fixture
async def officer(capi: Api, officer_name: str) -> User:
    return await capi.login(User(f"@{officer_name}:localhost", "", "", OFFICER_PASSWORD))


async def clear(api: Api, officer: User, user: User, level: str, caveats: list[str] | None = None, **extra: Any) -> Any:
    body = {"level": level, "caveats": caveats or [], **extra}
    return await api.ok("PUT", CLEARANCES + q(user.user_id), officer, json=body)


def accreditation_of(user: User) -> str:
    return f"/_chancery/admin/v1/users/{q(user.user_id)}/devices/{q(user.device_id)}/accreditation"


async def cleared(
    api: Api, officer: User, level: str = "SECRET", caveats: list[str] | None = None, *, accredited: bool = True
) -> User:
    """A new person with a clearance, signed in on a device accredited unless `accredited` is False."""
    user = await api.register()
    await clear(api, officer, user, level, caveats)
    if accredited:
        await api.ok("PUT", accreditation_of(user), officer)
    return user


async def classified_room(api: Api, owner: User, level: str, caveats: list[str] | None = None, **body: Any) -> str:
    content = {"level": level, "caveats": caveats or [], "handling": "Handle with care"}
    state = [{"type": CLASSIFICATION, "state_key": "", "content": content}]
    return await api.create_room(owner, initial_state=state, **body)


def refused(reply: Reply, reason: str) -> None:
    assert (reply.status, reply.errcode) == (403, "M_FORBIDDEN"), reply
    assert reply.body["org.chancery.reason"] == reason, reply


async def membership(api: Api, viewer: User, room: str, user: User) -> dict[str, Any]:
    return dict(await api.ok("GET", f"{C}/rooms/{q(room)}/state/m.room.member/{q(user.user_id)}", viewer))


async def raise_to(api: Api, user: User, room: str, level: str, caveats: list[str] | None = None) -> Reply:
    content = {"level": level, "caveats": caveats or []}
    return await api.request("PUT", f"{C}/rooms/{q(room)}/state/{CLASSIFICATION}/", user, json=content)
