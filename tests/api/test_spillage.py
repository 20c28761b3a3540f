"""Spillage (issue 14): a security officer removes a spilled event and its media from the server (database and
disk) and learns exactly which devices were sent it and who downloaded its media."""

from __future__ import annotations

import asyncio
import time

from tests.api.test_device_control import ADMIN, audited
from tests.api.test_media import upload
from tests.client import Api, C, User, q
from tests.serverproc import ServerProcess
from tests.sql import sql

V1 = "/_matrix/client/v1"


async def make_officer(api: Api, server: ServerProcess) -> User:
    officer = await api.register()
    await sql(
        server,
        "INSERT INTO user_roles (user_id, role, granted_by, granted_ts) VALUES (?, 'security_officer', 'test', 0)",
        officer.user_id,
    )
    return officer


def database_bytes(server: ServerProcess) -> bytes:
    return b"".join(p.read_bytes() for p in server.data_dir.glob("chancery.db*") if p.is_file())


async def test_spillage_removes_the_bytes_and_lists_the_recipients(api: Api, server: ServerProcess) -> None:
    officer = await make_officer(api, server)
    alice, bob, carol, dan = await api.register(), await api.register(), await api.register(), await api.register()
    bob_laptop = await api.login(bob)
    room = await api.create_room(alice, preset="public_chat")
    for person in (bob, carol, dan):
        await api.join(person, room)
    await api.ok("POST", f"{C}/rooms/{q(room)}/leave", dan, json={})
    before = {user.device_id: (await api.sync(user))["next_batch"] for user in (alice, bob, bob_laptop, carol, dan)}
    marker = f"SPILLED{int(time.time() * 1000)}"
    secret_file = f"{marker} attachment bytes".encode()
    mxc = await upload(api, alice, secret_file, "application/octet-stream")
    spilled = await api.send(alice, room, content={"msgtype": "m.file", "body": f"{marker} plans.pdf", "url": mxc})
    later = await api.send(alice, room, "an ordinary message")
    # Bob's phone syncs past the event and downloads the file; his laptop and Carol do not sync again; Dan,
    # who left before it, syncs on.
    await api.sync(bob, since=before[bob.device_id])
    await api.sync(dan, since=before[dan.device_id])
    download = await api.request("GET", f"{V1}/media/download/{mxc.removeprefix('mxc://')}", bob)
    assert download.status == 200

    path = f"{ADMIN}/spillage/{q(room)}/{q(spilled)}"
    assert (await api.request("POST", path, alice, json={})).status == 403
    missing = await api.request("POST", f"{ADMIN}/spillage/{q(room)}/{q('$nope')}", officer, json={})
    assert missing.status == 404
    report = await api.ok("POST", path, officer, json={})
    media_id = mxc.rsplit("/", 1)[1]
    assert report["recipients"] == {
        "users": [bob.user_id],
        "devices": [{"user_id": bob.user_id, "device_id": bob.device_id}],
        "media_downloads": [{"media_id": media_id, "user_id": bob.user_id, "device_id": bob.device_id}],
    }
    assert report["media_removed"] == [media_id] and report["files_removed"] == 1
    assert report["redaction_event_id"]

    # Clients see it redacted; the media is gone; the ordinary message is untouched.
    event = await api.ok("GET", f"{C}/rooms/{q(room)}/event/{q(spilled)}", carol)
    assert event["content"] == {} and event["unsigned"]["redacted_because"]["event_id"] == report["redaction_event_id"]
    assert (await api.ok("GET", f"{C}/rooms/{q(room)}/event/{q(later)}", carol))["content"]["body"] == (
        "an ordinary message"
    )
    assert (await api.request("GET", f"{V1}/media/download/{mxc.removeprefix('mxc://')}", bob)).status == 404
    # The bytes are gone from the database and from the disk.
    rows = await sql(server, "SELECT json FROM events WHERE event_id = ?", spilled)
    assert marker not in rows[0][0]
    assert not [p for p in (server.data_dir / "media").rglob("*") if p.is_file() and p.read_bytes() == secret_file]
    if server.engine == "sqlite":
        await asyncio.sleep(0.1)
        assert marker.encode() not in database_bytes(server)
    # The operation is on record.
    kept = await sql(server, "SELECT marked_by FROM spillages WHERE event_id = ?", spilled)
    assert kept == [(officer.user_id,)]
    assert await audited(server, "spillage.mark", spilled) == [(officer.user_id, "allowed", None)]
    # ... and readable through the audit log's query API, as one entry naming the recipients.
    logged = await api.ok(
        "GET", "/_chancery/admin/v1/audit", officer, params={"action": "spillage.mark", "target": spilled}
    )
    (entry,) = logged["entries"]
    assert entry["details"]["users"] == [bob.user_id] and entry["details"]["media_removed"] == [media_id]


async def test_spillage_from_the_command_line(api: Api, server: ServerProcess) -> None:
    alice, bob = await api.register(), await api.register()
    room = await api.create_room(alice, preset="public_chat")
    await api.join(bob, room)
    since = (await api.sync(bob))["next_batch"]
    spilled = await api.send(alice, room, "wrong room")
    await api.sync(bob, since=since)
    out = await asyncio.to_thread(server.run_cli, "spillage", room, spilled)
    assert f'"device_id": "{bob.device_id}"' in out and '"users": [' in out
    event = await api.ok("GET", f"{C}/rooms/{q(room)}/event/{q(spilled)}", bob)
    assert event["content"] == {}


async def test_an_encrypted_attachment_is_named_by_the_officer(api: Api, server: ServerProcess) -> None:
    officer = await make_officer(api, server)
    alice, bob = await api.register(), await api.register()
    room = await api.create_room(alice, preset="public_chat")
    await api.join(bob, room)
    secret_file = f"ciphertext of an attachment {time.time()}".encode()
    mxc = await upload(api, alice, secret_file, "application/octet-stream")
    # The URI is inside the ciphertext: the server cannot see it.
    ciphertext = {"algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "AwgAEnAC", "session_id": "s", "device_id": "D"}
    spilled = await api.send(alice, room, event_type="m.room.encrypted", content=ciphertext)
    assert (await api.request("GET", f"{V1}/media/download/{mxc.removeprefix('mxc://')}", bob)).status == 200
    path = f"{ADMIN}/spillage/{q(room)}/{q(spilled)}"
    for bad in ({"media": "mxc://x/y"}, {"media": ["https://example.org/a"]}, {"media": ["mxc://elsewhere/a"]}):
        assert (await api.request("POST", path, officer, json=bad)).status == 400
    report = await api.ok("POST", path, officer, json={"media": [mxc]})
    media_id = mxc.rsplit("/", 1)[1]
    assert report["media_removed"] == [media_id] and report["files_removed"] == 1
    assert report["recipients"]["media_downloads"] == [
        {"media_id": media_id, "user_id": bob.user_id, "device_id": bob.device_id}
    ]
    event = await api.ok("GET", f"{C}/rooms/{q(room)}/event/{q(spilled)}", bob)
    assert "ciphertext" not in event["content"]
    assert (await api.request("GET", f"{V1}/media/download/{mxc.removeprefix('mxc://')}", bob)).status == 404
