"""`chancery directory sync --ldap URL --base DN` against a real slapd: create, update and deactivate accounts
to match the directory; LDAP-bind login ([directory] ldap_login)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import ldap3
import pytest

from tests.client import Api, C, User
from tests.conftest import ENGINES
from tests.directory.slapd import ROOT_DN, ROOT_PASSWORD, SUFFIX, Slapd, slapd
from tests.own_server import RELAXED, client_of, own_server
from tests.serverproc import ServerProcess

__all__ = ["slapd"]  # the fixture


@pytest.fixture(scope="module", params=ENGINES)
def ldap_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, slapd: Slapd
) -> Iterator[ServerProcess]:
    secret = tmp_path_factory.mktemp("ldap-secret") / "bind-password"
    secret.write_text(ROOT_PASSWORD + "\n")
    toml = (
        f'[directory]\nsearch_scope = "institution"\nldap_login = true\nldap_url = "{slapd.url}"\n'
        f'ldap_base = "{SUFFIX}"\nldap_bind_dn = "{ROOT_DN}"\nldap_password_file = "{secret}"\n'
    )
    yield from own_server(request, tmp_path_factory, "ldap", toml, *RELAXED)


@pytest.fixture
async def lapi(ldap_server: ServerProcess) -> AsyncIterator[Api]:
    async for client in client_of(ldap_server):
        yield client


def admin_connection(slapd: Slapd) -> ldap3.Connection:
    conn = ldap3.Connection(ldap3.Server(slapd.url), user=ROOT_DN, password=ROOT_PASSWORD, auto_bind=True)
    return conn


def seed(slapd: Slapd, tag: str) -> str:
    """A subtree of its own: ou=<tag> holding Finance/Budget (two people) and one external partner."""
    base = f"ou=t{tag},{slapd.base}"
    conn = admin_connection(slapd)
    for dn in (base, f"ou=Finance,{base}", f"ou=Budget,ou=Finance,{base}"):
        assert conn.add(dn, "organizationalUnit", {"ou": dn.split(",")[0][3:]}), conn.result
    people = {
        f"uid=lina{tag},ou=Budget,ou=Finance,{base}": {
            "cn": "Lina Costa",
            "sn": "Costa",
            "displayName": "Lina Costa",
            "title": "Analyst",
            "mail": f"lina{tag}@example.gov",
            "telephoneNumber": "+33 1 40",
            "userPassword": "lina ldap secret",
        },
        f"uid=pia{tag},ou=Finance,{base}": {"cn": "Pia Berg", "sn": "Berg", "title": "Director"},
        f"uid=omar{tag},{base}": {
            "cn": "Omar Haddad",
            "sn": "Haddad",
            "employeeType": "external",
            "ou": "Partners/Acme",
        },
    }
    for dn, attributes in people.items():
        assert conn.add(dn, "inetOrgPerson", attributes), conn.result
    conn.unbind()
    return base


def sync(server: ServerProcess, slapd: Slapd, base: str, tmp: Path, *extra: str) -> str:
    secret = tmp / f"bind-{secrets.token_hex(3)}"
    secret.write_text(ROOT_PASSWORD + "\n")
    return server.run_cli(
        "directory",
        "sync",
        "--ldap",
        slapd.url,
        "--base",
        base,
        "--bind-dn",
        ROOT_DN,
        "--password-file",
        str(secret),
        *extra,
    )


async def test_sync_creates_updates_and_deactivates(
    lapi: Api, ldap_server: ServerProcess, slapd: Slapd, tmp_path: Path
) -> None:
    tag = secrets.token_hex(3)
    base = seed(slapd, tag)
    lina, pia, omar = (f"@{name}{tag}:localhost" for name in ("lina", "pia", "omar"))
    viewer = await lapi.register()

    out = sync(ldap_server, slapd, base, tmp_path, "--dry-run")
    assert f"+ create {lina}" in out and "3 to create" in out and "Dry run" in out
    assert (await lapi.request("GET", f"{C}/profile/{lina}", viewer)).status == 404

    assert "Applied" in sync(ldap_server, slapd, base, tmp_path)
    assert await lapi.ok("GET", f"{C}/profile/{lina}", viewer) == {
        "displayname": "Lina Costa",
        "org.chancery.organisation": "Finance/Budget",
        "org.chancery.position": "Analyst",
    }
    assert (await lapi.ok("GET", f"{C}/profile/{omar}", viewer))["org.chancery.organisation"] == "Partners/Acme"
    assert "No changes" in sync(ldap_server, slapd, base, tmp_path)
    # Without --ldap and the bind options, the [directory] settings name the directory (a nightly cron line).
    assert "No changes" in ldap_server.run_cli("directory", "sync", "--base", base)

    # LDAP-bind login with the directory's password; a wrong one is refused.
    session = await lapi.login(User(lina, "", "", "lina ldap secret"))
    assert (await lapi.ok("GET", C + "/account/whoami", session))["user_id"] == lina
    reply = await lapi.request(
        "POST",
        C + "/login",
        json={"type": "m.login.password", "identifier": {"type": "m.id.user", "user": lina}, "password": "guess"},
    )
    assert (reply.status, reply.errcode) == (403, "M_FORBIDDEN")

    conn = admin_connection(slapd)
    assert conn.modify(
        f"uid=lina{tag},ou=Budget,ou=Finance,{base}", {"title": [(ldap3.MODIFY_REPLACE, ["Head of Unit"])]}
    )
    assert conn.delete(f"uid=pia{tag},ou=Finance,{base}")
    conn.unbind()
    out = sync(ldap_server, slapd, base, tmp_path, "--dry-run")
    assert f"~ update {lina}" in out and "'Analyst' -> 'Head of Unit'" in out and f"- deactivate {pia}" in out
    sync(ldap_server, slapd, base, tmp_path)
    assert (await lapi.ok("GET", f"{C}/profile/{lina}", viewer))["org.chancery.position"] == "Head of Unit"
    assert (await lapi.request("GET", f"{C}/profile/{pia}", viewer)).status == 404
    assert "No changes" in sync(ldap_server, slapd, base, tmp_path)


async def test_bad_bind_is_a_one_line_error(ldap_server: ServerProcess, slapd: Slapd, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong"
    wrong.write_text("not the password\n")
    with pytest.raises(RuntimeError, match="LDAP bind as cn=admin") as failure:
        ldap_server.run_cli(
            "directory",
            "sync",
            "--ldap",
            slapd.url,
            "--base",
            slapd.base,
            "--bind-dn",
            ROOT_DN,
            "--password-file",
            str(wrong),
        )
    assert "Traceback" not in str(failure.value)
    with pytest.raises(RuntimeError, match="Cannot read the password file"):
        ldap_server.run_cli(
            "directory", "sync", "--ldap", slapd.url, "--base", slapd.base, "--password-file", str(tmp_path / "absent")
        )
