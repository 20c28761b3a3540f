"""The audit log through the API and the CLI (issue 13): each audited action gives exactly one entry with the
right fields, only administrators and security officers read it, and `chancery audit verify` names the entry
an UPDATE, DELETE, INSERT or swap done in SQL broke."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from chancery.events.audit_chain import checkpoint_signed_by
from chancery.events.signing import new_signing_key, signing_key_from_text, verify_key_base64
from tests.client import Api, C, User, q
from tests.conftest import ENGINES
from tests.own_server import RELAXED, client_of, own_server
from tests.serverproc import ServerProcess
from tests.sql import sql

AUDIT = "/_chancery/admin/v1/audit"


async def officer(api: Api, server: ServerProcess) -> User:
    user = await api.register()
    server.run_cli("user", "role", user.user_id, "--grant", "security_officer")
    return user


async def entries(api: Api, reader: User, **filters: str) -> list[dict[str, Any]]:
    body = await api.ok("GET", AUDIT, reader, params={"limit": "1000", **filters})
    return list(body["entries"])


async def one(api: Api, reader: User, **filters: str) -> dict[str, Any]:
    found = await entries(api, reader, **filters)
    assert len(found) == 1, (filters, found)
    return found[0]


async def test_account_actions_are_audited_once_each(api: Api, server: ServerProcess) -> None:
    reader = await officer(api, server)
    alice = await api.register()
    created = await one(api, reader, action="account.create", target=alice.user_id)
    assert created["details"] == {"admin": False, "method": "registration"} and created["outcome"] == "allowed"
    assert created["user_id"] == alice.user_id and created["ip"] == "127.0.0.1"
    registered = await one(api, reader, action="login", target=alice.user_id)
    assert registered["details"]["method"] == "registration" and registered["device_id"] == alice.device_id

    second = await api.login(alice, device_id="SECOND")
    logins = await entries(api, reader, action="login", target=alice.user_id)
    assert len(logins) == 2
    assert logins[0]["user_id"] == alice.user_id and logins[0]["device_id"] == "SECOND"
    assert logins[0]["details"] == {"method": "m.login.password", "device_id": "SECOND", "new_device": True}
    assert logins[0]["ip"] == "127.0.0.1" and logins[0]["via"] == "client"

    wrong = await api.request(
        "POST", C + "/login", json={"type": "m.login.password", "user": alice.user_id, "password": "wrong"}
    )
    assert wrong.status == 403
    failed = await one(api, reader, action="login.failed", target=alice.user_id)
    assert failed["outcome"] == "failed" and failed["user_id"] is None and failed["ip"] == "127.0.0.1"
    assert "wrong" not in str(failed)

    auth = {"type": "m.login.password", "identifier": {"type": "m.id.user", "user": alice.user_id}}
    body = {"new_password": "battery staple", "logout_devices": False, "auth": {**auth, "password": alice.password}}
    await api.ok("POST", C + "/account/password", alice, json=body)
    changed = await one(api, reader, action="password.change", target=alice.user_id)
    assert changed["details"] == {"logout_devices": False} and "battery" not in str(changed)

    await api.ok("POST", C + "/logout", second, json={})
    logout = await one(api, reader, action="logout", target=alice.user_id)
    assert logout["details"] == {"devices": ["SECOND"]} and logout["device_id"] == "SECOND"
    for entry in await entries(api, reader, actor=alice.user_id):
        assert alice.token not in str(entry) and second.token not in str(entry)


async def test_room_changes_are_audited_and_messages_are_not(api: Api, server: ServerProcess) -> None:
    reader = await officer(api, server)
    alice, bob = await api.register(), await api.register()
    room = await api.create_room(alice, preset="private_chat")
    created = await one(api, reader, action="room.create", target=room)
    assert created["user_id"] == alice.user_id and created["details"]["sender"] == alice.user_id
    # The initial state of a new room is part of its creation: no separate power-level or rule entries.
    assert [e["action"] for e in await entries(api, reader, target=room)] == ["membership.join", "room.create"]

    await api.ok("POST", f"{C}/rooms/{q(room)}/invite", alice, json={"user_id": bob.user_id})
    await api.join(bob, room)
    await api.send(bob, room, "a secret message body")
    await api.ok("POST", f"{C}/rooms/{q(room)}/kick", alice, json={"user_id": bob.user_id, "reason": "x"})
    await api.ok("POST", f"{C}/rooms/{q(room)}/ban", alice, json={"user_id": bob.user_id})
    await api.ok("POST", f"{C}/rooms/{q(room)}/unban", alice, json={"user_id": bob.user_id})
    levels = await api.ok("GET", f"{C}/rooms/{q(room)}/state/m.room.power_levels/", alice)
    levels["users"][bob.user_id] = 50
    await api.ok("PUT", f"{C}/rooms/{q(room)}/state/m.room.power_levels/", alice, json=levels)
    await api.ok("PUT", f"{C}/rooms/{q(room)}/state/m.room.join_rules/", alice, json={"join_rule": "public"})
    await api.ok("PUT", f"{C}/rooms/{q(room)}/state/m.room.topic/", alice, json={"topic": "not audited"})
    await api.ok("PUT", f"{C}/directory/list/room/{q(room)}", alice, json={"visibility": "public"})

    found = await entries(api, reader, target=room)
    assert [e["action"] for e in reversed(found)] == [
        "room.create",
        "membership.join",
        "membership.invite",
        "membership.join",
        "membership.kick",
        "membership.ban",
        "membership.unban",
        "power_levels.change",
        "join_rules.change",
        "room_directory.visibility",
    ]
    by_action = {e["action"]: e for e in found}
    assert by_action["membership.kick"]["details"] == {"user_id": bob.user_id, "sender": alice.user_id}
    assert by_action["power_levels.change"]["details"] == {"changes": {f"users.{bob.user_id}": [None, 50]}}
    assert by_action["join_rules.change"]["details"] == {"join_rule": "public", "previous": "invite"}
    assert by_action["room_directory.visibility"]["details"] == {"visibility": "public"}
    assert "a secret message body" not in str(found)
    family = await entries(api, reader, target=room, action="membership.")
    assert len(family) == 6


async def test_media_uploads_and_cross_signing_are_audited(api: Api, server: ServerProcess) -> None:
    reader = await officer(api, server)
    alice = await api.register()
    reply = await api.ok("POST", "/_matrix/media/v3/upload", alice, data=b"file bytes")
    upload = await one(api, reader, action="media.upload", target=reply["content_uri"])
    assert upload["user_id"] == alice.user_id and upload["details"]["size"] == len(b"file bytes")
    version = await api.ok(
        "POST", C + "/room_keys/version", alice, json={"algorithm": "m.megolm_backup.v1", "auth_data": {"x": 1}}
    )
    backup = await one(api, reader, action="key_backup.create", target=alice.user_id)
    assert backup["details"] == {"version": version["version"], "algorithm": "m.megolm_backup.v1"}


async def test_only_officers_and_administrators_read_the_log(api: Api, server: ServerProcess, tmp_path: Path) -> None:
    nosy = await api.register()
    refused = await api.request("GET", AUDIT, nosy)
    assert refused.status == 403 and refused.body["org.chancery.reason"] == "audit_reader"
    reader = await officer(api, server)
    granted = await one(api, reader, action="role.grant", target=reader.user_id)
    assert granted["via"] == "cli" and granted["user_id"] is None and granted["details"] == {"role": "security_officer"}
    denial = await one(api, reader, action="audit.read", actor=nosy.user_id)
    assert denial["outcome"] == "denied" and denial["reason"] == "audit_reader"

    password = tmp_path / "password"
    password.write_text("admin password\n")
    name = "admin" + nosy.user_id[2:8]
    server.run_cli("user", "create", name, "--password-file", str(password), "--admin")
    admin = await api.login(User(f"@{name}:localhost", "", "", "admin password"))
    cli_create = await one(api, admin, action="account.create", target=admin.user_id)
    assert cli_create["via"] == "cli" and cli_create["details"] == {"admin": True, "method": "cli"}

    for bad in ({"limit": "0"}, {"limit": "x"}, {"since": "-1"}, {"from": "1e3"}, {"actor": "a" * 600}):
        reply = await api.request("GET", AUDIT, admin, params=bad)
        assert reply.status == 400 and reply.body["errcode"] == "M_INVALID_PARAM", bad


async def test_pages_follow_next_token(api: Api, server: ServerProcess) -> None:
    reader = await officer(api, server)
    alice = await api.register()
    for _ in range(4):
        await api.login(alice)
    seen: list[int] = []
    params = {"actor": alice.user_id, "action": "login", "limit": "2"}
    while True:
        page = await api.ok("GET", AUDIT, reader, params=params)
        seen += [e["seq"] for e in page["entries"]]
        if "next_token" not in page:
            break
        params["from"] = page["next_token"]
    assert len(seen) == 5 and seen == sorted(seen, reverse=True)


async def test_administrator_requests_are_audited(api: Api, server: ServerProcess) -> None:
    reader = await officer(api, server)
    path = "/_chancery/admin/v1/media/quarantine/{server_name}/{media_id}"
    refused = await api.request("POST", "/_chancery/admin/v1/media/quarantine/localhost/abc", reader, json={})
    assert refused.status == 403
    entry = await one(api, reader, action="admin.request", actor=reader.user_id, target=path)
    assert entry["outcome"] == "denied" and entry["details"] == {"method": "POST", "status": 403}
    assert entry["via"] == "admin"


# -- verification, on a server of its own (the tests tamper with its log) -------------------------------

TOML = '[audit]\ncheckpoint_every = 5\ncheckpoint_seconds = 0\nsigning_key_path = "audit.key"\n'


@pytest.fixture(scope="module", params=ENGINES)
def tampered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    yield from own_server(request, tmp_path_factory, "audit-verify", TOML, *RELAXED)


@pytest.fixture
async def tampered_api(tampered: ServerProcess) -> AsyncIterator[Api]:
    async for client in client_of(tampered):
        yield client


def verify(server: ServerProcess, *args: str) -> str:
    try:
        return server.run_cli("audit", "verify", *args)
    except RuntimeError as failure:
        return str(failure)


async def test_verify_names_the_entry_changed_in_sql(tampered: ServerProcess, tampered_api: Api) -> None:
    api = tampered_api
    for _ in range(4):
        await api.register()  # two entries each: account.create and login
    assert verify(tampered).startswith("OK: 8 entries, 1 signed checkpoints")
    row = (await sql(tampered, "SELECT * FROM audit_log WHERE seq = 3"))[0]

    await sql(tampered, "UPDATE audit_log SET actor_ip = '10.9.9.9' WHERE seq = 3")
    assert "FAILED at seq 3: the entry does not match its hash" in verify(tampered)
    await sql(tampered, "UPDATE audit_log SET actor_ip = ? WHERE seq = 3", row[4])
    assert verify(tampered).startswith("OK")

    await sql(tampered, "DELETE FROM audit_log WHERE seq = 3")
    assert "FAILED at seq 3: expected seq 3, found 4" in verify(tampered)
    marks = ",".join("?" * len(row))
    await sql(tampered, f"INSERT INTO audit_log VALUES ({marks})", *row)
    assert verify(tampered).startswith("OK")

    last = (await sql(tampered, "SELECT * FROM audit_log WHERE seq = 8"))[0]
    await sql(tampered, f"INSERT INTO audit_log VALUES ({marks})", 9, *last[1:])
    assert "FAILED at seq 9" in verify(tampered)
    await sql(tampered, "DELETE FROM audit_log WHERE seq = 9")

    # Swap entries 6 and 7 (through a free seq, as the primary key wants).
    await sql(tampered, "UPDATE audit_log SET seq = 1000 WHERE seq = 6")
    await sql(tampered, "UPDATE audit_log SET seq = 6 WHERE seq = 7")
    await sql(tampered, "UPDATE audit_log SET seq = 7 WHERE seq = 1000")
    assert "FAILED at seq 6:" in verify(tampered)
    await sql(tampered, "UPDATE audit_log SET seq = 1000 WHERE seq = 6")
    await sql(tampered, "UPDATE audit_log SET seq = 6 WHERE seq = 7")
    await sql(tampered, "UPDATE audit_log SET seq = 7 WHERE seq = 1000")
    assert verify(tampered).startswith("OK")


async def test_an_export_verifies_offline_with_the_public_key_only(
    tampered: ServerProcess, tampered_api: Api, tmp_path: Path
) -> None:
    await tampered_api.register()
    out = tampered.run_cli("audit", "checkpoint")
    public_key = out.strip().rsplit(": ", 1)[1]
    export = tmp_path / "audit.jsonl"
    tampered.run_cli("audit", "export", "--format", "jsonl", "--output", str(export))
    elsewhere = ServerProcess(tmp_path / "nowhere", "sqlite", [])  # no database: offline
    assert verify(elsewhere, "--export", str(export), "--key", public_key).startswith("OK")

    # Checkpoints are signed with the separate audit key (created at the first start), not the server's key.
    assert (tampered.data_dir / "audit.key").exists()
    server_key = verify_key_base64(signing_key_from_text((tampered.data_dir / "signing.key").read_text()))
    assert public_key != server_key
    for other_key in (server_key, verify_key_base64(new_signing_key("x"))):
        assert "signature does not verify" in verify(elsewhere, "--export", str(export), "--key", other_key)

    lines = export.read_text().splitlines()
    edited = [line.replace('"login"', '"logout"', 1) if '"seq":4,' in line else line for line in lines]
    (tmp_path / "edited.jsonl").write_text("\n".join(edited) + "\n")
    assert "FAILED at seq 4" in verify(elsewhere, "--export", str(tmp_path / "edited.jsonl"), "--key", public_key)
    (tmp_path / "cut.jsonl").write_text("\n".join(lines[:-3]) + "\n")
    assert "FAILED" in verify(elsewhere, "--export", str(tmp_path / "cut.jsonl"), "--key", public_key)


async def test_deactivation_is_audited_with_the_rooms_it_leaves(api: Api, server: ServerProcess) -> None:
    reader = await officer(api, server)
    alice = await api.register()
    room = await api.create_room(alice)
    auth = {"type": "m.login.password", "identifier": {"type": "m.id.user", "user": alice.user_id}}
    await api.ok("POST", C + "/account/deactivate", alice, json={"auth": {**auth, "password": alice.password}})
    closed = await one(api, reader, action="account.deactivate", target=alice.user_id)
    assert closed["user_id"] == alice.user_id and closed["device_id"] == alice.device_id
    left = await one(api, reader, action="membership.leave", target=room)
    assert left["details"]["user_id"] == alice.user_id and left["seq"] > closed["seq"]


@pytest.fixture(scope="module", params=ENGINES)
def limited(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    toml = "[audit]\ncheckpoint_seconds = 1\n"
    yield from own_server(request, tmp_path_factory, "audit-limits", toml, "--open-registration")


async def test_rate_limit_refusals_are_audited_once_a_minute(limited: ServerProcess) -> None:
    async for api in client_of(limited):
        reader = await officer(api, limited)
        alice = await api.register()
        wrong = {"type": "m.login.password", "user": alice.user_id, "password": "wrong"}
        statuses = [(await api.request("POST", C + "/login", json=wrong)).status for _ in range(8)]
        assert statuses[:5] == [403] * 5 and statuses[-1] == 429
        blocked = await one(api, reader, action="ratelimit.blocked")
        assert blocked["target"] == "/_matrix/client/v3/login" and blocked["outcome"] == "denied"
        assert blocked["ip"] == "127.0.0.1" and blocked["reason"] == "rate_limit"
        assert len(await entries(api, reader, action="login.failed", target=alice.user_id)) == 5


async def test_a_checkpoint_follows_new_entries_within_checkpoint_seconds(limited: ServerProcess) -> None:
    async for api in client_of(limited):
        reader = await officer(api, limited)
        await api.register()
        latest = (await entries(api, reader, limit="1"))[0]["seq"]
        for _ in range(50):
            body = await api.ok("GET", AUDIT + "/checkpoints", reader)
            if body["checkpoints"] and body["checkpoints"][0]["seq"] >= latest:
                break
            await asyncio.sleep(0.1)
        newest = body["checkpoints"][0]
        assert newest["seq"] >= latest and newest["server_name"] == "localhost"
        assert checkpoint_signed_by(newest, body["public_key"]["key"])
        assert body["public_key"]["key_id"].startswith("ed25519:")


async def test_the_export_endpoint_and_since_give_verifiable_exports(
    tampered: ServerProcess, tampered_api: Api, tmp_path: Path
) -> None:
    api = tampered_api
    reader = await officer(api, tampered)
    nosy = await api.register()
    assert (await api.request("GET", AUDIT + "/export", nosy)).status == 403
    public_key = (await api.ok("GET", AUDIT + "/checkpoints", reader))["public_key"]["key"]
    reply = await api.request("GET", AUDIT + "/export", reader)
    assert reply.status == 200
    export = tmp_path / "http.jsonl"
    assert isinstance(reply.body, str)
    export.write_text(reply.body)
    elsewhere = ServerProcess(tmp_path / "nowhere", "sqlite", [])
    assert verify(elsewhere, "--export", str(export), "--key", public_key).startswith("OK")
    assert (await one(api, reader, action="audit.export"))["user_id"] == reader.user_id

    # From a time after every entry: it starts at the last checkpoint (a signed anchor), and runs to the end.
    tampered.run_cli("audit", "export", "--since", "2999-01-01", "--output", str(tmp_path / "since.jsonl"))
    lines = [json.loads(line) for line in (tmp_path / "since.jsonl").read_text().splitlines()]
    anchor, end = lines[0], lines[-1]
    assert anchor["kind"] == "anchor" and anchor["seq"] > 0 and end["kind"] == "end"
    assert [line["entry"]["seq"] for line in lines if line["kind"] == "entry"] == list(
        range(anchor["seq"] + 1, end["seq"] + 1)
    )
    result = verify(elsewhere, "--export", str(tmp_path / "since.jsonl"), "--key", public_key)
    assert result.startswith(f"OK: {end['seq'] - anchor['seq']} entries")
