"""Account lifecycle: expiry and renewal (Tchap's ORG_MATRIX_EXPIRED_ACCOUNT), deactivation everywhere,
re-activation by an administrator, the password policy."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.api.test_keys_support import Device
from tests.client import Api, C, User
from tests.conftest import ENGINES
from tests.directory.helpers import audit_entries, eventually_status, make_admin
from tests.own_server import RELAXED, client_of, own_server
from tests.serverproc import ServerProcess

CA = "/_chancery/admin/v1"
DAY_MS = 86_400_000


@pytest.fixture(scope="module", params=ENGINES)
def lifecycle_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    breached = tmp_path_factory.mktemp("lists") / "breached.txt"
    breached.write_text("# leaked\nPassword123!\ncorrect horse 7\n")
    toml = (
        '[directory]\naccount_validity_days = 30\npassword_min_length = 10\npassword_require = ["digit"]\n'
        f'password_breached_list = "{breached}"\nargon2_time_cost = 2\nargon2_memory_kib = 16384\n'
    )
    yield from own_server(request, tmp_path_factory, "lifecycle", toml, *RELAXED)


@pytest.fixture
async def lapi(lifecycle_server: ServerProcess) -> AsyncIterator[Api]:
    async for client in client_of(lifecycle_server):
        yield client


PASSWORD = "a long passphrase 42"


async def test_expired_account_is_held_until_an_administrator_renews_it(
    lapi: Api, lifecycle_server: ServerProcess, tmp_path: Path
) -> None:
    admin = await make_admin(lapi, lifecycle_server, tmp_path)
    user = await lapi.register(password=PASSWORD)
    validity = await lapi.ok("GET", f"{CA}/users/{user.user_id}/validity", admin)
    now = int(time.time() * 1000)
    assert abs(validity["expiration_ts"] - (now + 30 * DAY_MS)) < 60_000  # new accounts get the configured validity

    await lapi.ok("POST", f"{CA}/users/{user.user_id}/renew", admin, json={"expiration_ts": now - 1000})
    for method, path in (("GET", C + "/sync"), ("GET", C + "/account/whoami"), ("GET", C + "/joined_rooms")):
        reply = await lapi.request(method, path, user)
        assert (reply.status, reply.errcode) == (403, "ORG_MATRIX_EXPIRED_ACCOUNT"), path

    renewed = await lapi.ok("POST", f"{CA}/users/{user.user_id}/renew", admin, json={})
    assert renewed["expiration_ts"] > now + 29 * DAY_MS
    assert (await lapi.ok("GET", C + "/account/whoami", user))["user_id"] == user.user_id

    # The CLI does the same; logging out stays possible while expired.
    lifecycle_server.run_cli("user", "renew", user.user_id, "--until", "2001-01-01")
    await eventually_status(lapi, user, C + "/account/whoami", (403, "ORG_MATRIX_EXPIRED_ACCOUNT"))
    assert "never expires" not in lifecycle_server.run_cli("user", "renew", user.user_id)
    await eventually_status(lapi, user, C + "/account/whoami", (200, None))
    lifecycle_server.run_cli("user", "renew", user.user_id, "--until", "2001-01-01")
    await eventually_status(lapi, user, C + "/account/whoami", (403, "ORG_MATRIX_EXPIRED_ACCOUNT"))
    await lapi.ok("POST", C + "/logout", user, json={})
    history = (await lapi.ok("GET", f"{CA}/directory/people/{user.user_id}", admin))["history"]
    assert history[0]["field"] == "expires_ts" and history[0]["actor"] == "cli" and history[0]["old_value"]
    assert [c["actor"] for c in history[-2:]] == [admin.user_id] * 2
    renewals = audit_entries(lifecycle_server, "account.expiry", user.user_id)
    assert [(e["via"], e["user_id"]) for e in renewals[:3]] == [("admin", admin.user_id)] * 2 + [("cli", None)]


async def test_lifecycle_admin_routes_refuse_non_admins(lapi: Api) -> None:
    user = await lapi.register(password=PASSWORD)
    for method, suffix in (("GET", "validity"), ("POST", "renew"), ("POST", "reactivate")):
        reply = await lapi.request(method, f"{CA}/users/{user.user_id}/{suffix}", user, json={})
        assert (reply.status, reply.errcode) == (403, "M_FORBIDDEN")


async def test_bad_input_to_lifecycle_routes(lapi: Api, lifecycle_server: ServerProcess, tmp_path: Path) -> None:
    admin = await make_admin(lapi, lifecycle_server, tmp_path)
    reply = await lapi.request("POST", f"{CA}/users/@nobody-x:localhost/renew", admin, json={})
    assert (reply.status, reply.errcode) == (404, "M_NOT_FOUND")
    reply = await lapi.request("POST", f"{CA}/users/not-an-id/renew", admin, json={})
    assert (reply.status, reply.errcode) == (400, "M_INVALID_PARAM")
    reply = await lapi.request("POST", f"{CA}/users/{admin.user_id}/renew", admin, json={"expiration_ts": "soon"})
    assert (reply.status, reply.errcode) == (400, "M_INVALID_PARAM")
    reply = await lapi.request("POST", f"{CA}/users/{admin.user_id}/reactivate", admin, json={})
    assert (reply.status, reply.errcode) == (400, "M_INVALID_PARAM")  # not deactivated


async def test_deactivation_removes_the_person_everywhere_and_an_admin_reactivates(
    lapi: Api, lifecycle_server: ServerProcess, tmp_path: Path
) -> None:
    admin = await make_admin(lapi, lifecycle_server, tmp_path)
    leaving = await lapi.register(password=PASSWORD)
    second_device = await lapi.login(leaving)
    colleague = await lapi.register(password=PASSWORD)
    room = await lapi.create_room(colleague, preset="public_chat")
    await lapi.join(leaving, room)
    for device in (Device(leaving), Device(second_device)):
        await device.upload(lapi, device_keys=device.device_keys())
    query = {"device_keys": {leaving.user_id: []}}
    assert len((await lapi.ok("POST", C + "/keys/query", colleague, json=query))["device_keys"][leaving.user_id]) == 2

    lifecycle_server.run_cli("user", "deactivate", leaving.user_id)
    for session in (leaving, second_device):
        await eventually_status(lapi, session, C + "/account/whoami", (401, "M_UNKNOWN_TOKEN"))
    members = await lapi.ok("GET", f"{C}/rooms/{room}/joined_members", colleague)
    assert leaving.user_id not in members["joined"]
    keys = await lapi.ok("POST", C + "/keys/query", colleague, json=query)
    assert keys["device_keys"].get(leaving.user_id, {}) == {}  # devices and their keys are gone
    found = await lapi.ok("POST", C + "/user_directory/search", colleague, json={"search_term": leaving.user_id})
    assert found["results"] == []
    reply = await lapi.request("POST", C + "/login", json=_login_body(leaving.user_id, PASSWORD))
    assert reply.status == 403

    # Re-activation: weak passwords refused, then the account opens with the new one (rooms are not rejoined).
    reply = await lapi.request("POST", f"{CA}/users/{leaving.user_id}/reactivate", admin, json={"password": "short1"})
    assert (reply.status, reply.errcode) == (400, "M_WEAK_PASSWORD")
    await lapi.ok("POST", f"{CA}/users/{leaving.user_id}/reactivate", admin, json={"password": "new passphrase 7"})
    back = await lapi.login(User(leaving.user_id, "", "", "new passphrase 7"))
    assert (await lapi.ok("GET", C + "/joined_rooms", back))["joined_rooms"] == []
    profile = await lapi.ok("GET", f"{C}/profile/{leaving.user_id}", colleague)
    assert profile["displayname"] == leaving.user_id[1:].split(":")[0]

    # The CLI reactivates too (without a password: the person then needs one set, or the directory's login).
    lifecycle_server.run_cli("user", "deactivate", leaving.user_id)
    assert "Reactivated" in lifecycle_server.run_cli("user", "reactivate", leaving.user_id)
    with pytest.raises(RuntimeError, match="The account is not deactivated") as failure:
        lifecycle_server.run_cli("user", "reactivate", leaving.user_id)
    assert "Traceback" not in str(failure.value)
    assert [e["via"] for e in audit_entries(lifecycle_server, "account.deactivate", leaving.user_id)] == ["cli"] * 2
    reactivations = audit_entries(lifecycle_server, "account.reactivate", leaving.user_id)
    assert [(e["via"], e["user_id"]) for e in reactivations] == [("admin", admin.user_id), ("cli", None)]


def _login_body(user_id: str, password: str) -> dict[str, object]:
    return {"type": "m.login.password", "identifier": {"type": "m.id.user", "user": user_id}, "password": password}


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short 1", "at least 10"),
        ("no digits in here", "digit"),
        ("Password123!", "breached"),
        ("CORRECT HORSE 7", "breached"),
    ],
)
async def test_password_policy_on_registration(lapi: Api, password: str, why: str) -> None:
    reply = await lapi.request(
        "POST",
        C + "/register",
        json={"username": "p" + str(time.time_ns()), "password": password, "auth": {"type": "m.login.dummy"}},
    )
    assert (reply.status, reply.errcode) == (400, "M_WEAK_PASSWORD")
    assert why in reply.body["error"]


async def test_password_policy_on_change_and_admin_cli(
    lapi: Api, lifecycle_server: ServerProcess, tmp_path: Path
) -> None:
    user = await lapi.register(password=PASSWORD)
    first = await lapi.request("POST", C + "/account/password", user, json={"new_password": "weak"})
    session = first.body["session"]
    auth = {
        "type": "m.login.password",
        "identifier": {"type": "m.id.user", "user": user.user_id},
        "password": PASSWORD,
        "session": session,
    }
    reply = await lapi.request("POST", C + "/account/password", user, json={"new_password": "weak", "auth": auth})
    assert (reply.status, reply.errcode) == (400, "M_WEAK_PASSWORD")
    weak = tmp_path / "weak"
    weak.write_text("nodigitsatall\n")
    with pytest.raises(RuntimeError, match="must contain: digit"):
        lifecycle_server.run_cli("user", "create", "weakling", "--password-file", str(weak))
    refusals = audit_entries(lifecycle_server, "password.change", user.user_id)
    assert [(e["outcome"], e["reason"]) for e in refusals] == [("denied", "weak_password")]
