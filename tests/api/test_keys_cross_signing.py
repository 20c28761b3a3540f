"""Cross-signing keys and signatures through raw HTTP: UIA rules, signature checks, who sees what."""

from __future__ import annotations

from typing import Any

from tests.api.test_keys_support import CrossSigning, Device, public_of, sign, sync_until
from tests.client import Api, C, User


def password_auth(user: User, session: str) -> dict[str, Any]:
    return {
        "type": "m.login.password",
        "identifier": {"type": "m.id.user", "user": user.user_id},
        "password": user.password,
        "session": session,
    }


async def test_first_upload_needs_no_uia_and_replacing_keys_does(api: Api) -> None:
    alice = await api.register()
    keys = CrossSigning(alice.user_id)
    url = C + "/keys/device_signing/upload"
    await api.ok("POST", url, alice, json=keys.upload_body())
    await api.ok("POST", url, alice, json=keys.upload_body())  # a retry of the same keys is idempotent

    replacement = CrossSigning(alice.user_id)
    challenge = await api.request("POST", url, alice, json=replacement.upload_body())
    assert challenge.status == 401 and ["m.login.password"] in [f["stages"] for f in challenge.body["flows"]]
    wrong = password_auth(alice, challenge.body["session"]) | {"password": "wrong"}
    assert (await api.request("POST", url, alice, json=replacement.upload_body() | {"auth": wrong})).status == 401
    auth = password_auth(alice, challenge.body["session"])
    await api.ok("POST", url, alice, json=replacement.upload_body() | {"auth": auth})
    query = await api.ok("POST", C + "/keys/query", alice, json={"device_keys": {alice.user_id: []}})
    assert query["master_keys"][alice.user_id]["keys"] == replacement.key_object("master")["keys"]


async def test_bad_cross_signing_uploads_are_refused(api: Api) -> None:
    alice = await api.register()
    url = C + "/keys/device_signing/upload"
    keys = CrossSigning(alice.user_id)
    forged = keys.upload_body()
    forged["self_signing_key"] = sign(
        {k: v for k, v in keys.key_object("self_signing").items() if k != "signatures"},
        alice.user_id,
        keys.master_id,
        CrossSigning(alice.user_id).master,  # signed by a key that is not the master key
    )
    reply = await api.request("POST", url, alice, json=forged)
    assert reply.status == 400 and reply.errcode == "M_INVALID_SIGNATURE"
    reply = await api.request("POST", url, alice, json={"self_signing_key": keys.key_object("self_signing")})
    assert reply.status == 400 and reply.errcode == "M_MISSING_PARAM"
    other = await api.register()
    reply = await api.request("POST", url, alice, json=CrossSigning(other.user_id).upload_body())
    assert reply.status == 400 and reply.errcode == "M_INVALID_PARAM"
    reply = await api.request("POST", url, alice, json={"master_key": {"user_id": alice.user_id, "usage": "master"}})
    assert reply.status == 400


async def test_signatures_are_verified_and_user_signing_stays_private(api: Api) -> None:
    alice, bob, carol = await api.register(), await api.register(), await api.register()
    room = await api.create_room(alice, invite=[bob.user_id, carol.user_id])
    await api.join(bob, room)
    await api.join(carol, room)
    alice_token = (await api.sync(alice))["next_batch"]
    alice_device = Device(alice)
    await alice_device.upload(api, device_keys=alice_device.device_keys())
    alice_keys, bob_keys = CrossSigning(alice.user_id), CrossSigning(bob.user_id)
    await api.ok("POST", C + "/keys/device_signing/upload", alice, json=alice_keys.upload_body())
    await api.ok("POST", C + "/keys/device_signing/upload", bob, json=bob_keys.upload_body())
    ssk_id = f"ed25519:{public_of(alice_keys.self_signing)}"
    usk_id = f"ed25519:{public_of(alice_keys.user_signing)}"

    # Alice signs her device with her self-signing key and Bob's master key with her user-signing key;
    # one forged signature and one unknown key fail on their own.
    device_signed = sign(alice_device.device_keys(), alice.user_id, ssk_id, alice_keys.self_signing)
    bob_master = bob_keys.key_object("master")
    bob_signed = sign(dict(bob_master), alice.user_id, usk_id, alice_keys.user_signing)
    forged = sign(dict(bob_master), alice.user_id, usk_id, CrossSigning(alice.user_id).user_signing)
    body = {
        alice.user_id: {alice.device_id: device_signed, "NOSUCHKEY": device_signed},
        bob.user_id: {public_of(bob_keys.master): bob_signed},
        carol.user_id: {"whatever": forged},
    }
    result = await api.ok("POST", C + "/keys/signatures/upload", alice, json=body)
    assert set(result["failures"]) == {alice.user_id, carol.user_id}
    assert set(result["failures"][alice.user_id]) == {"NOSUCHKEY"}
    bad = await api.ok(
        "POST", C + "/keys/signatures/upload", alice, json={bob.user_id: {public_of(bob_keys.master): forged}}
    )
    assert bad["failures"][bob.user_id][public_of(bob_keys.master)]["errcode"] == "M_INVALID_SIGNATURE"

    query = {"device_keys": {alice.user_id: [], bob.user_id: []}}
    as_carol = await api.ok("POST", C + "/keys/query", carol, json=query)
    assert ssk_id in as_carol["device_keys"][alice.user_id][alice.device_id]["signatures"][alice.user_id]
    assert alice.user_id not in as_carol["master_keys"][bob.user_id].get("signatures", {})  # Alice's USK signature
    assert as_carol["user_signing_keys"] == {}
    as_alice = await api.ok("POST", C + "/keys/query", alice, json=query)
    assert usk_id in as_alice["master_keys"][bob.user_id]["signatures"][alice.user_id]
    assert list(as_alice["user_signing_keys"]) == [alice.user_id]
    as_bob = await api.ok("POST", C + "/keys/query", bob, json=query)
    assert alice.user_id not in as_bob["master_keys"][bob.user_id].get("signatures", {})

    # Alice's other devices learn that she verified Bob.
    await sync_until(api, alice, alice_token, lambda b: bob.user_id in b["device_lists"]["changed"])


async def test_own_device_may_sign_own_master_key(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    device = Device(alice)
    await device.upload(api, device_keys=device.device_keys())
    keys = CrossSigning(alice.user_id)
    await api.ok("POST", C + "/keys/device_signing/upload", alice, json=keys.upload_body())
    signed = sign(keys.key_object("master"), alice.user_id, device.key_id, device.key)
    result = await api.ok(
        "POST", C + "/keys/signatures/upload", alice, json={alice.user_id: {public_of(keys.master): signed}}
    )
    assert result["failures"] == {}
    query = await api.ok("POST", C + "/keys/query", bob, json={"device_keys": {alice.user_id: []}})
    assert device.key_id in query["master_keys"][alice.user_id]["signatures"][alice.user_id]


async def test_deactivation_erases_cross_signing_keys_and_backups(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    await api.ok("POST", C + "/keys/device_signing/upload", alice, json=CrossSigning(alice.user_id).upload_body())
    version = await api.ok(
        "POST",
        C + "/room_keys/version",
        alice,
        json={"algorithm": "m.megolm_backup.v1.curve25519-aes-sha2", "auth_data": {"public_key": "abc"}},
    )
    assert version["version"]
    challenge = await api.request("POST", C + "/account/deactivate", alice, json={})
    await api.ok(
        "POST", C + "/account/deactivate", alice, json={"auth": password_auth(alice, challenge.body["session"])}
    )
    query = await api.ok("POST", C + "/keys/query", bob, json={"device_keys": {alice.user_id: []}})
    assert alice.user_id not in query.get("master_keys", {})
    assert query["device_keys"].get(alice.user_id, {}) == {}
