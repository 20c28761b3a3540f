"""The smaller client-server endpoints clients probe: TURN credentials, OpenID tokens (checked through the
federation API's userinfo), third-party protocols, whois, login tokens, deleting a profile field and the
support well-known; each both unconfigured (the default) and configured."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.client import Api, C, User, q
from tests.conftest import ENGINES
from tests.own_server import RELAXED, client_of, own_server
from tests.serverproc import ServerProcess
from tests.sql import sql

V1 = "/_matrix/client/v1"
SECRET = "turn-shared-secret"
CONFIGURED = f"""
[turn]
uris = ["turns:turn.example.org:5349?transport=tcp", "turn:turn.example.org:3478?transport=udp"]
shared_secret = "{SECRET}"
user_lifetime = 3600

[access]
login_tokens = true
login_token_lifetime = 60

[support]
support_page = "https://intranet.example.org/help"
[[support.contacts]]
role = "m.role.admin"
matrix_id = "@helpdesk:localhost"
email_address = "helpdesk@example.org"
"""


@pytest.fixture(scope="module", params=ENGINES)
def configured_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    yield from own_server(request, tmp_path_factory, "extras", CONFIGURED, *RELAXED)


@pytest.fixture
async def configured(configured_server: ServerProcess) -> AsyncIterator[Api]:
    async for client in client_of(configured_server):
        yield client


async def test_turn_server_is_empty_until_configured(api: Api) -> None:
    user = await api.register()
    assert await api.ok("GET", C + "/voip/turnServer", user) == {}
    assert (await api.request("GET", C + "/voip/turnServer")).status == 401


async def test_turn_credentials_are_the_rest_api_hmac_of_the_shared_secret(configured: Api) -> None:
    user = await configured.register()
    body = await configured.ok("GET", C + "/voip/turnServer", user)
    expiry, _, user_id = body["username"].partition(":")
    assert user_id == user.user_id
    assert abs(int(expiry) - (time.time() + 3600)) < 60
    expected = hmac.new(SECRET.encode(), body["username"].encode(), hashlib.sha1).digest()
    assert base64.b64decode(body["password"]) == expected
    assert body["uris"] == ["turns:turn.example.org:5349?transport=tcp", "turn:turn.example.org:3478?transport=udp"]
    assert body["ttl"] == 3600


async def test_openid_token_names_its_holder_to_other_services(api: Api) -> None:
    user, other = await api.register(), await api.register()
    token = await api.ok("POST", f"{C}/user/{q(user.user_id)}/openid/request_token", user, json={})
    assert token["token_type"] == "Bearer" and token["matrix_server_name"] == "localhost"
    assert token["expires_in"] == 3600
    userinfo = "/_matrix/federation/v1/openid/userinfo"
    assert await api.ok("GET", userinfo, params={"access_token": token["access_token"]}) == {"sub": user.user_id}

    # Not an access token, and an access token is not an OpenID token.
    assert (await api.request("GET", C + "/account/whoami", headers=bearer(token["access_token"]))).status == 401
    for params in ({"access_token": user.token}, {"access_token": "nonsense"}, {"access_token": "x" * 2000}):
        reply = await api.request("GET", userinfo, params=params)
        assert (reply.status, reply.errcode) == (401, "M_UNKNOWN_TOKEN"), reply
    reply = await api.request("GET", userinfo)
    assert (reply.status, reply.errcode) == (401, "M_MISSING_TOKEN")
    reply = await api.request("POST", f"{C}/user/{q(user.user_id)}/openid/request_token", other, json={})
    assert (reply.status, reply.errcode) == (403, "M_FORBIDDEN")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_no_third_party_protocols(api: Api) -> None:
    user = await api.register()
    assert await api.ok("GET", C + "/thirdparty/protocols", user) == {}
    for kind in ("protocol", "location", "user"):
        reply = await api.request("GET", f"{C}/thirdparty/{kind}/irc", user)
        assert (reply.status, reply.errcode) == (404, "M_NOT_FOUND")
    assert await api.ok("GET", C + "/thirdparty/location", user, params={"alias": "#a:b"}) == []
    assert await api.ok("GET", C + "/thirdparty/user", user, params={"userid": "@a:b"}) == []


async def test_whois_for_oneself_and_for_administrators(api: Api, server: ServerProcess) -> None:
    user, other = await api.register(), await api.register()
    await api.ok("GET", C + "/account/whoami", user)  # marks the device as seen
    body = await api.ok("GET", f"{C}/admin/whois/{q(user.user_id)}", user)
    assert body["user_id"] == user.user_id and list(body["devices"]) == [user.device_id]
    [session] = body["devices"][user.device_id]["sessions"]
    assert all(isinstance(c["last_seen"], int) for c in session["connections"])

    reply = await api.request("GET", f"{C}/admin/whois/{q(user.user_id)}", other)
    assert (reply.status, reply.errcode) == (403, "M_FORBIDDEN")
    admin = await make_admin(api, server)
    assert (await api.ok("GET", f"{C}/admin/whois/{q(user.user_id)}", admin))["user_id"] == user.user_id
    audited = await sql(
        server, "SELECT actor_user, via FROM audit_log WHERE action = 'user.whois' AND target = ?", user.user_id
    )
    assert audited == [(admin.user_id, "admin")]
    reply = await api.request("GET", f"{C}/admin/whois/{q('@nobody-at-all:localhost')}", admin)
    assert (reply.status, reply.errcode) == (404, "M_NOT_FOUND")


async def make_admin(api: Api, server: ServerProcess) -> User:
    name = "admin" + str(time.time_ns())[-9:]
    password_file = server.data_dir / f"{name}.password"
    password_file.write_text("admin password")
    server.run_cli("user", "create", f"@{name}:localhost", "--password-file", str(password_file), "--admin")
    return await api.login(User(f"@{name}:localhost", "", "", "admin password"))


async def test_login_tokens_are_off_by_default(api: Api) -> None:
    user = await api.register()
    caps = (await api.ok("GET", C + "/capabilities", user))["capabilities"]
    assert caps["m.get_login_token"] == {"enabled": False}
    assert [f["type"] for f in (await api.ok("GET", C + "/login"))["flows"]] == ["m.login.password"]
    reply = await api.request("POST", V1 + "/login/get_token", user, json={})
    assert (reply.status, reply.errcode) == (404, "M_UNRECOGNIZED")
    reply = await api.request("POST", C + "/login", json={"type": "m.login.token", "token": "chl_guess"})
    assert (reply.status, reply.errcode) == (403, "M_FORBIDDEN")


async def test_a_login_token_signs_in_one_new_device(configured: Api, configured_server: ServerProcess) -> None:
    user = await configured.register()
    caps = (await configured.ok("GET", C + "/capabilities", user))["capabilities"]
    assert caps["m.get_login_token"] == {"enabled": True}
    flows = (await configured.ok("GET", C + "/login"))["flows"]
    assert {"type": "m.login.token", "get_login_token": True} in flows

    challenge = await configured.request("POST", V1 + "/login/get_token", user, json={})
    assert challenge.status == 401 and challenge.body["flows"] == [{"stages": ["m.login.password"]}]
    auth = {
        "type": "m.login.password",
        "identifier": {"type": "m.id.user", "user": user.user_id},
        "password": user.password,
        "session": challenge.body["session"],
    }
    made = await configured.ok("POST", V1 + "/login/get_token", user, json={"auth": auth})
    assert made["expires_in_ms"] == 60_000

    login = await configured.ok("POST", C + "/login", json={"type": "m.login.token", "token": made["login_token"]})
    assert login["user_id"] == user.user_id and login["device_id"] != user.device_id
    assert (await configured.ok("GET", C + "/account/whoami", headers=bearer(login["access_token"])))["user_id"] == (
        user.user_id
    )
    again = await configured.request("POST", C + "/login", json={"type": "m.login.token", "token": made["login_token"]})
    assert (again.status, again.errcode) == (403, "M_FORBIDDEN")
    # A new token needs the password again.
    assert (await configured.request("POST", V1 + "/login/get_token", user, json={})).status == 401
    entries = await sql(
        configured_server,
        "SELECT action, actor_user, details FROM audit_log WHERE target = ? AND action LIKE 'login%' ORDER BY seq",
        user.user_id,
    )
    assert [(action, actor) for action, actor, _ in entries][-2:] == [
        ("login_token.create", user.user_id),
        ("login", user.user_id),
    ]
    assert "m.login.token" in entries[-1][2]
    assert made["login_token"] not in str(entries)


async def test_deleting_a_profile_field(api: Api) -> None:
    user, other = await api.register(), await api.register()
    path = f"{C}/profile/{q(user.user_id)}/displayname"
    await api.ok("PUT", path, user, json={"displayname": "Temporary"})
    assert (await api.request("DELETE", path, other)).status == 403
    assert await api.ok("DELETE", path, user) == {}
    assert "displayname" not in await api.ok("GET", f"{C}/profile/{q(user.user_id)}", user)
    assert await api.ok("DELETE", path, user) == {}  # already gone
    reply = await api.request("DELETE", f"{C}/profile/{q(user.user_id)}/m.unknown", user)
    assert reply.status == 400


async def test_support_well_known(api: Api, configured: Api) -> None:
    reply = await api.request("GET", "/.well-known/matrix/support")
    assert (reply.status, reply.errcode) == (404, "M_NOT_FOUND")
    assert await configured.ok("GET", "/.well-known/matrix/support") == {
        "contacts": [
            {"role": "m.role.admin", "matrix_id": "@helpdesk:localhost", "email_address": "helpdesk@example.org"}
        ],
        "support_page": "https://intranet.example.org/help",
    }


async def deactivate(api: Api, user: User) -> None:
    auth = {"type": "m.login.password", "identifier": {"type": "m.id.user", "user": user.user_id}}
    await api.ok("POST", C + "/account/deactivate", user, json={"auth": auth | {"password": user.password}})


async def test_a_deactivated_accounts_openid_and_login_tokens_stop_working(configured: Api) -> None:
    user = await configured.register()
    openid = await configured.ok("POST", f"{C}/user/{q(user.user_id)}/openid/request_token", user, json={})
    challenge = await configured.request("POST", V1 + "/login/get_token", user, json={})
    auth = {
        "type": "m.login.password",
        "identifier": {"type": "m.id.user", "user": user.user_id},
        "password": user.password,
        "session": challenge.body["session"],
    }
    login_token = (await configured.ok("POST", V1 + "/login/get_token", user, json={"auth": auth}))["login_token"]
    await deactivate(configured, user)

    reply = await configured.request(
        "GET", "/_matrix/federation/v1/openid/userinfo", params={"access_token": openid["access_token"]}
    )
    assert (reply.status, reply.errcode) == (401, "M_UNKNOWN_TOKEN")
    reply = await configured.request("POST", C + "/login", json={"type": "m.login.token", "token": login_token})
    assert (reply.status, reply.errcode) == (403, "M_FORBIDDEN")
