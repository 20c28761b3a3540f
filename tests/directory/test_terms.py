"""Terms of use: accepted at registration (UIA m.login.terms), and before first use by everyone else."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.client import Api, C, User
from tests.conftest import ENGINES
from tests.directory.helpers import audit_entries
from tests.own_server import RELAXED, client_of, own_server
from tests.serverproc import ServerProcess

TERMS = "/_chancery/client/v1/terms"
URL = "https://intranet.example/terms-v3.html"


@pytest.fixture(scope="module", params=ENGINES)
def terms_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    toml = f'[directory]\nterms_url = "{URL}"\nterms_version = "3"\n'
    yield from own_server(request, tmp_path_factory, "terms", toml, *RELAXED)


@pytest.fixture
async def tapi(terms_server: ServerProcess) -> AsyncIterator[Api]:
    async for client in client_of(terms_server):
        yield client


async def test_registration_asks_for_the_terms(tapi: Api) -> None:
    body = {"username": "t" + secrets.token_hex(5), "password": "a long passphrase"}
    challenge = await tapi.request("POST", C + "/register", json=body)
    assert challenge.status == 401
    assert all(flow["stages"][0] == "m.login.terms" for flow in challenge.body["flows"])
    policy = challenge.body["params"]["m.login.terms"]["policies"]["terms_of_use"]
    assert policy["version"] == "3" and policy["en"]["url"] == URL
    session = challenge.body["session"]

    # Skipping the terms does not complete registration.
    reply = await tapi.request(
        "POST", C + "/register", json={**body, "auth": {"type": "m.login.dummy", "session": session}}
    )
    assert reply.status == 401 and reply.body["completed"] == ["m.login.dummy"]
    done = await tapi.ok("POST", C + "/register", json={**body, "auth": {"type": "m.login.terms", "session": session}})
    user = User(done["user_id"], done["access_token"], done["device_id"], body["password"])
    await tapi.ok("GET", C + "/sync", user)
    assert (await tapi.ok("GET", TERMS, user)) == {"url": URL, "version": "3", "accepted": True}


async def test_provisioned_accounts_accept_before_first_use(
    tapi: Api, terms_server: ServerProcess, tmp_path: Path
) -> None:
    password = tmp_path / "pw"
    password.write_text("provisioned passphrase\n")
    name = "prov" + secrets.token_hex(4)
    terms_server.run_cli("user", "create", name, "--password-file", str(password))
    user = await tapi.login(User(f"@{name}:localhost", "", "", "provisioned passphrase"))

    reply = await tapi.request("GET", C + "/sync", user)
    assert (reply.status, reply.errcode) == (403, "M_TERMS_NOT_SIGNED")
    assert reply.body["org.chancery.terms"] == {"url": URL, "version": "3"}
    assert (await tapi.ok("GET", TERMS, user))["accepted"] is False
    reply = await tapi.request("POST", TERMS, user, json={"version": "2"})
    assert (reply.status, reply.errcode) == (400, "M_INVALID_PARAM")
    reply = await tapi.request("POST", TERMS, user, json={"version": 3})
    assert (reply.status, reply.errcode) == (400, "M_BAD_JSON")
    await tapi.ok("POST", TERMS, user, json={"version": "3"})
    await tapi.ok("GET", C + "/sync", user)
    accepted = audit_entries(terms_server, "terms.accept", user.user_id)
    assert [(e["user_id"], e["details"]) for e in accepted] == [(user.user_id, {"version": "3"})]
