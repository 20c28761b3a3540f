"""Device control (issue 14): device limit, token expiry and refresh, approval, stale devices, remote wipe."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.client import Api, C, User, q
from tests.conftest import ENGINES
from tests.own_server import RELAXED, client_of, own_server
from tests.reliability.test_multiprocess import Pair
from tests.security.test_token_revocation import pair as pair  # the fixture: two processes, one database
from tests.serverproc import ServerProcess
from tests.sql import sql

ADMIN = "/_chancery/admin/v1"
LIMITED = "[devices]\nmax_per_user = 3\naccess_token_lifetime_s = 1\n"
APPROVAL = "[devices]\nrequire_approval = true\n"


@pytest.fixture(scope="module", params=ENGINES)
def limited(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    yield from own_server(request, tmp_path_factory, "devices", LIMITED, *RELAXED)


@pytest.fixture(scope="module", params=ENGINES)
def approving(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    yield from own_server(request, tmp_path_factory, "approval", APPROVAL, *RELAXED)


@pytest.fixture
async def lapi(limited: ServerProcess) -> AsyncIterator[Api]:
    async for client in client_of(limited):
        yield client


@pytest.fixture
async def aapi(approving: ServerProcess) -> AsyncIterator[Api]:
    async for client in client_of(approving):
        yield client


async def make_admin(api: Api, server: ServerProcess) -> User:
    """A fresh administrator (marked before its token was ever looked up, so no process caches it as a user)."""
    user = await api.register()
    await sql(server, "UPDATE users SET is_admin = 1 WHERE user_id = ?", user.user_id)
    return user


async def audited(server: ServerProcess, action: str, target: str) -> list[tuple[str | None, str, str | None]]:
    """(actor, outcome, reason) of the audit log's entries of `action` on `target`, oldest first."""
    rows = await sql(
        server,
        "SELECT actor_user, outcome, reason FROM audit_log WHERE action = ? AND target = ? ORDER BY seq",
        action,
        target,
    )
    return [(r[0], str(r[1]), r[2]) for r in rows]


def login_body(user: User, **extra: object) -> dict[str, object]:
    return {
        "type": "m.login.password",
        "identifier": {"type": "m.id.user", "user": user.user_id},
        "password": user.password,
        **extra,
    }


async def whoami(api: Api, user: User) -> tuple[int, dict[str, object]]:
    reply = await api.request("GET", C + "/account/whoami", user)
    return reply.status, reply.body


# -- device limit --------------------------------------------------------------------------------------


async def test_logins_beyond_the_device_limit_are_refused(lapi: Api, limited: ServerProcess) -> None:
    first = await lapi.register()
    await lapi.login(first)
    await lapi.login(first)
    reply = await lapi.request("POST", C + "/login", json=login_body(first))
    assert reply.status == 403 and reply.errcode == "M_FORBIDDEN"
    assert reply.body["org.chancery.reason"] == "device_limit"
    assert len((await lapi.ok("GET", C + "/devices", first))["devices"]) == 3
    assert (first.user_id, "denied", "device_limit") in await audited(limited, "login", first.user_id)
    # Signing in again as a device one already has is no new device.
    again = await lapi.login(first, device_id=first.device_id)
    assert (await whoami(lapi, again))[0] == 200
    # Signing out of one makes room.
    await lapi.ok("POST", C + "/logout", again, json={})
    await lapi.login(first)


# -- access-token expiry and refresh ---------------------------------------------------------------------


async def test_tokens_expire_and_are_refreshed(lapi: Api) -> None:
    user = await lapi.register()
    body = await lapi.ok("POST", C + "/login", json=login_body(user, refresh_token=True))
    assert body["refresh_token"] and 0 < body["expires_in_ms"] <= 1000
    session = User(user.user_id, body["access_token"], body["device_id"], user.password)
    assert (await whoami(lapi, session))[0] == 200
    await asyncio.sleep(1.2)
    status, expired = await whoami(lapi, session)
    assert status == 401 and expired["errcode"] == "M_UNKNOWN_TOKEN" and expired["soft_logout"] is True

    renewed = await lapi.ok("POST", C + "/refresh", json={"refresh_token": body["refresh_token"]})
    assert renewed["refresh_token"] != body["refresh_token"] and 0 < renewed["expires_in_ms"] <= 1000
    fresh = User(user.user_id, renewed["access_token"], body["device_id"], user.password)
    status, me = await whoami(lapi, fresh)
    assert status == 200 and me["device_id"] == body["device_id"]
    # A refresh token is used once.
    reused = await lapi.request("POST", C + "/refresh", json={"refresh_token": body["refresh_token"]})
    assert reused.status == 401 and reused.errcode == "M_UNKNOWN_TOKEN"
    bad = await lapi.request("POST", C + "/refresh", json={"refresh_token": 7})
    assert bad.status == 400


async def test_clients_without_refresh_tokens_keep_theirs(lapi: Api) -> None:
    user = await lapi.register()
    body = await lapi.ok("POST", C + "/login", json=login_body(user))
    assert "refresh_token" not in body and "expires_in_ms" not in body
    await asyncio.sleep(1.2)
    assert (await whoami(lapi, User(user.user_id, body["access_token"], body["device_id"], user.password)))[0] == 200


# -- stale devices ---------------------------------------------------------------------------------------


async def test_devices_unused_for_the_configured_days_are_deleted(lapi: Api, limited: ServerProcess) -> None:
    user = await lapi.register()
    other = await lapi.login(user)
    old = int(time.time() * 1000) - 91 * 24 * 3600 * 1000
    await asyncio.sleep(0.1)
    # The server notes use in memory and writes it once a minute: this device's last use is long ago.
    await sql(
        limited,
        "UPDATE devices SET last_seen_ts = ?, created_ts = ? WHERE user_id = ? AND device_id = ?",
        old,
        old,
        user.user_id,
        other.device_id,
    )
    out = await asyncio.to_thread(limited.run_cli, "device", "purge-stale", "--days", "90")
    assert out.strip() == "Deleted 1 stale device(s)"
    deadline = time.monotonic() + 5
    while (await whoami(lapi, other))[0] == 200:
        assert time.monotonic() < deadline, "a stale device's token still worked"
        await asyncio.sleep(0.1)
    assert (await whoami(lapi, user))[0] == 200
    devices = [d["device_id"] for d in (await lapi.ok("GET", C + "/devices", user))["devices"]]
    assert devices == [user.device_id]


# -- approval ----------------------------------------------------------------------------------------------


async def test_new_devices_wait_for_approval(aapi: Api, approving: ServerProcess) -> None:
    admin = await make_admin(aapi, approving)
    # An administrator's own new device waits too (a stolen password must not approve itself): the command
    # line approves it.
    out = await asyncio.to_thread(approving.run_cli, "device", "approve", admin.user_id, admin.device_id)
    assert out.strip() == f"Approved {admin.device_id} of {admin.user_id}"
    user = await aapi.register()
    assert (await whoami(aapi, user))[0] == 200
    for method, path, body in (
        ("GET", C + "/sync", None),
        ("POST", C + "/keys/query", {"device_keys": {user.user_id: []}}),
        ("POST", C + "/createRoom", {}),
        ("PUT", C + "/sendToDevice/m.test/t1", {"messages": {}}),
    ):
        reply = await aapi.request(method, path, user, json=body)
        assert reply.status == 403 and reply.body["org.chancery.reason"] == "device_unapproved", path
    waiting = (await aapi.ok("GET", f"{ADMIN}/devices/awaiting_approval", admin))["devices"]
    assert {"user_id": user.user_id, "device_id": user.device_id}.items() <= next(
        d for d in waiting if d["user_id"] == user.user_id
    ).items()
    listed = await asyncio.to_thread(approving.run_cli, "device", "pending")
    assert f"{user.user_id} {user.device_id}" in listed
    someone = await aapi.register()
    refused = await aapi.request(
        "POST", f"{ADMIN}/users/{q(user.user_id)}/devices/{q(user.device_id)}/approve", someone, json={}
    )
    assert refused.status == 403
    missing = await aapi.request("POST", f"{ADMIN}/users/{q(user.user_id)}/devices/NOPE/approve", admin, json={})
    assert missing.status == 404 and missing.errcode == "M_NOT_FOUND"
    await aapi.ok("POST", f"{ADMIN}/users/{q(user.user_id)}/devices/{q(user.device_id)}/approve", admin, json={})
    assert "next_batch" in await aapi.sync(user)
    waiting = (await aapi.ok("GET", f"{ADMIN}/devices/awaiting_approval", admin))["devices"]
    assert user.device_id not in {d["device_id"] for d in waiting}
    assert await audited(approving, "device.approve", user.user_id) == [(admin.user_id, "allowed", None)]


# -- remote wipe -------------------------------------------------------------------------------------------


async def test_remote_wipe(api: Api, server: ServerProcess) -> None:
    admin = await make_admin(api, server)
    user = await api.register()
    phone = await api.login(user)
    await api.ok(
        "POST",
        C + "/keys/upload",
        phone,
        json={"one_time_keys": {"signed_curve25519:AAAA": {"key": "abc", "signatures": {}}}},
    )
    first = await api.sync(phone)
    # The phone long-polls while the administrator wipes it: the poll wakes with the wipe order.
    poll = asyncio.create_task(api.sync(phone, since=first["next_batch"], timeout=10000))
    await asyncio.sleep(0.3)
    reason = "Reported lost on 3 December"
    path = f"{ADMIN}/users/{q(user.user_id)}/devices/{q(phone.device_id)}/wipe"
    await api.ok("POST", path, admin, json={"reason": reason})
    woken = await asyncio.wait_for(poll, 5)
    order = {"sender": admin.user_id, "type": "org.chancery.wipe", "content": {"reason": reason}}
    assert woken["to_device"]["events"] == [order]

    # Everything but /sync is refused at once, saying why.
    status, body = await whoami(api, phone)
    assert status == 401 and body["errcode"] == "M_UNKNOWN_TOKEN" and body["org.chancery.wiped"] is True
    # A /sync that has not acknowledged the order gets it (again), alone.
    again = await api.sync(phone, since=first["next_batch"])
    assert again["to_device"]["events"] == [order] and "rooms" not in again
    # Once it synced past the order, /sync is refused too.
    done = await api.request("GET", C + "/sync", phone, params={"since": again["next_batch"], "timeout": "0"})
    assert done.status == 401 and done.body["org.chancery.wiped"] is True
    assert (await api.request("GET", C + "/sync", phone)).body["org.chancery.wiped"] is True

    # The device and its keys are gone; its ID never signs in again; the owner's other device is untouched.
    devices = [d["device_id"] for d in (await api.ok("GET", C + "/devices", user))["devices"]]
    assert devices == [user.device_id]
    assert await sql(server, "SELECT 1 FROM e2e_one_time_keys WHERE device_id = ?", phone.device_id) == []
    refused = await api.request("POST", C + "/login", json=login_body(user, device_id=phone.device_id))
    assert refused.status == 403 and refused.body["org.chancery.reason"] == "device_wiped"
    assert (await whoami(api, user))[0] == 200
    assert await audited(server, "device.wipe", user.user_id) == [(admin.user_id, "allowed", None)]
    assert [e[1:] for e in await audited(server, "login", user.user_id)][-1] == ("denied", "device_wiped")


async def test_only_administrators_and_security_officers_wipe(api: Api, server: ServerProcess) -> None:
    user = await api.register()
    laptop = await api.login(user)
    stranger = await api.register()
    path = f"{ADMIN}/users/{q(user.user_id)}/devices/{q(laptop.device_id)}/wipe"
    refused = await api.request("POST", path, stranger, json={})
    assert refused.status == 403 and refused.body["org.chancery.reason"] == "not_authorised"
    assert await audited(server, "device.wipe", user.user_id) == [(stranger.user_id, "denied", "not_authorised")]
    assert (await api.request("POST", path, user, json={})).status == 403  # nor the owner through this API
    officer = await api.register()
    await sql(
        server,
        "INSERT INTO user_roles (user_id, role, granted_by, granted_ts) VALUES (?, 'security_officer', 'test', 0)",
        officer.user_id,
    )
    missing = await api.request("POST", f"{ADMIN}/users/{q(user.user_id)}/devices/NOPE/wipe", officer, json={})
    assert missing.status == 404
    await api.ok("POST", path, officer, json={})
    assert (await whoami(api, laptop))[1]["org.chancery.wiped"] is True


async def test_people_cannot_send_wipe_orders(api: Api) -> None:
    sender, target = await api.register(), await api.register()
    reply = await api.request(
        "PUT",
        C + "/sendToDevice/org.chancery.wipe/t1",
        sender,
        json={"messages": {target.user_id: {target.device_id: {"reason": "gotcha"}}}},
    )
    assert reply.status == 403 and reply.body["org.chancery.reason"] == "wipe_reserved"
    assert (await api.sync(target)).get("to_device", {}).get("events", []) == []


async def test_the_wipe_command_reaches_the_running_server(api: Api, server: ServerProcess) -> None:
    user = await api.register()
    tablet = await api.login(user)
    assert (await whoami(api, tablet))[0] == 200  # cached by the server
    out = await asyncio.to_thread(server.run_cli, "device", "wipe", user.user_id, tablet.device_id, "--reason", "r")
    assert out.strip() == f"Wiped {tablet.device_id} of {user.user_id}"
    deadline = time.monotonic() + 5
    while (await whoami(api, tablet))[0] == 200:
        assert time.monotonic() < deadline, "a wiped token still worked"
        await asyncio.sleep(0.05)
    body = await api.sync(tablet)
    assert body["to_device"]["events"] == [
        {"sender": "@chancery:localhost", "type": "org.chancery.wipe", "content": {"reason": "r"}}
    ]


@pytest.mark.skipif("postgres" not in ENGINES, reason="several processes need PostgreSQL")
async def test_a_wipe_on_one_process_is_refused_by_the_other_at_once(pair: Pair) -> None:
    api_a, api_b = Api(pair.a.base_url), Api(pair.b.base_url)
    try:
        admin = await make_admin(api_a, pair.a)
        user = await api_a.register()
        assert (await whoami(api_b, user))[0] == 200  # B remembers the token
        await api_a.ok("POST", f"{ADMIN}/users/{q(user.user_id)}/devices/{q(user.device_id)}/wipe", admin, json={})
        start = time.monotonic()
        while (await whoami(api_b, user))[0] == 200:
            assert time.monotonic() - start < 1.0, "announced between the processes, not found by the stream watch"
            await asyncio.sleep(0.02)
        assert (await whoami(api_b, user))[1]["org.chancery.wiped"] is True
    finally:
        await api_a.close()
        await api_b.close()


@pytest.fixture(scope="module", params=ENGINES)
def short_sessions(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    yield from own_server(request, tmp_path_factory, "sessions", "[devices]\nsession_lifetime_s = 2\n", *RELAXED)


async def test_sessions_end_at_their_lifetime_refreshed_or_not(short_sessions: ServerProcess) -> None:
    async for sapi in client_of(short_sessions):
        user = await sapi.register()
        plain = await sapi.ok("POST", C + "/login", json=login_body(user))
        assert 0 < plain["expires_in_ms"] <= 2000
        refreshing = await sapi.ok("POST", C + "/login", json=login_body(user, refresh_token=True))
        renewed = await sapi.ok("POST", C + "/refresh", json={"refresh_token": refreshing["refresh_token"]})
        assert 0 < renewed["expires_in_ms"] <= 2000  # a refresh does not extend the session
        await asyncio.sleep(2.2)
        for token, device in ((plain["access_token"], plain["device_id"]), (renewed["access_token"], None)):
            status, body = await whoami(sapi, User(user.user_id, token, device or "", user.password))
            assert status == 401 and body["soft_logout"] is True
        late = await sapi.request("POST", C + "/refresh", json={"refresh_token": renewed["refresh_token"]})
        assert late.status == 401 and late.errcode == "M_UNKNOWN_TOKEN"
