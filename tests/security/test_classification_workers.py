"""Classified rooms across two server processes on one PostgreSQL database: a clearance lowered or expired
through one takes effect in the other at once, and a device's accreditation is re-read everywhere."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.classified_server import (
    SCHEME_TOML,
    accreditation_of,
    classified_room,
    clear,
    cleared,
    membership,
    refused,
)
from tests.client import Api, C, User, q
from tests.reliability.test_multiprocess import Pair, needs_postgres, start_pair

pytestmark = needs_postgres


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    started = start_pair(tmp_path_factory.mktemp("classified-pair"), sections=SCHEME_TOML)
    password_file = started.a.data_dir.parent / "officer-password"
    password_file.write_text("correct horse\n")
    started.a.run_cli("user", "create", "officer", "--password-file", str(password_file))
    started.a.run_cli("user", "role", "@officer:localhost", "--grant", "security_officer")
    yield started
    started.stop()


@pytest.fixture
async def apis(pair: Pair) -> AsyncIterator[tuple[Api, Api]]:
    api_a, api_b = Api(pair.a.base_url), Api(pair.b.base_url)
    yield api_a, api_b
    await api_a.close()
    await api_b.close()


async def officer_on(api: Api) -> User:
    return await api.login(User("@officer:localhost", "", "", "correct horse"))


async def test_a_clearance_lowered_through_one_process_removes_the_person_in_the_other(
    apis: tuple[Api, Api],
) -> None:
    api_a, api_b = apis
    officer = await officer_on(api_a)
    owner = await cleared(api_a, officer, "SECRET")
    member = await cleared(api_a, officer, "SECRET")
    room = await classified_room(api_b, owner, "SECRET", preset="public_chat")
    await api_b.join(member, room)
    first = await api_b.sync(member)
    assert room in first["rooms"]["join"]
    started = time.monotonic()
    await clear(api_a, officer, member, "CONFIDENTIAL")
    # The other process serves the removal in its next answer, and refuses the way back.
    body = await api_b.sync(member, since=first["next_batch"], timeout=5000)
    assert room in body["rooms"]["leave"] and time.monotonic() - started < 1.0
    refused(await api_b.request("POST", f"{C}/join/{q(room)}", member, json={}), "clearance")


async def test_an_expired_clearance_is_acted_on_once_within_a_second(apis: tuple[Api, Api]) -> None:
    api_a, api_b = apis
    officer = await officer_on(api_a)
    owner = await cleared(api_a, officer, "SECRET")
    member = await api_a.register()
    await clear(api_a, officer, member, "SECRET", expires_ts=int(time.time() * 1000) + 1000)
    room = await classified_room(api_a, owner, "CONFIDENTIAL", preset="public_chat")
    await api_b.join(member, room)
    await asyncio.sleep(1.0)
    deadline = time.monotonic() + 1.0
    while (await membership(api_b, owner, room, member))["membership"] == "join":
        assert time.monotonic() < deadline, "the expired clearance's holder is still in the room"
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)  # both processes sweep: the holder still leaves only once
    messages = await api_a.ok("GET", f"{C}/rooms/{q(room)}/messages", owner, params={"dir": "b", "limit": "20"})
    leaves = [
        e for e in messages["chunk"] if e.get("state_key") == member.user_id and e["content"]["membership"] == "leave"
    ]
    assert len(leaves) == 1


async def test_accrediting_a_device_through_one_process_is_seen_by_the_other(apis: tuple[Api, Api]) -> None:
    api_a, api_b = apis
    officer = await officer_on(api_a)
    owner = await cleared(api_a, officer, "SECRET", accredited=False)
    room = await classified_room(api_a, owner, "SECRET")
    messages = f"{C}/rooms/{q(room)}/messages?dir=b"
    refused(await api_b.request("GET", messages, owner), "accreditation")  # remembered by process b
    await api_a.ok("PUT", accreditation_of(owner), officer)
    deadline = time.monotonic() + 1.0
    while (await api_b.request("GET", messages, owner)).status != 200:
        assert time.monotonic() < deadline, "process b still refuses the accredited device"
        await asyncio.sleep(0.05)
    await api_a.ok("DELETE", accreditation_of(owner), officer)
    deadline = time.monotonic() + 1.0
    while (await api_b.request("GET", messages, owner)).status == 200:
        assert time.monotonic() < deadline, "process b still serves the device whose accreditation was withdrawn"
        await asyncio.sleep(0.05)
