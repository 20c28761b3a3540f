"""Device keys, one-time and fallback keys, device lists and encrypted-room rules, seen through raw HTTP."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.api.test_keys_support import Device, sync_until
from tests.client import Api, C, User, q


async def test_device_keys_must_be_self_signed_and_ours(api: Api) -> None:
    alice = await api.register()
    device = Device(alice)
    keys = device.device_keys()
    keys["keys"][device.key_id] = Device(alice).device_keys()["keys"][device.key_id]  # someone else's key
    reply = await api.request("POST", C + "/keys/upload", alice, json={"device_keys": keys})
    assert reply.status == 400 and reply.errcode == "M_INVALID_SIGNATURE"

    other_device = await api.login(alice)
    reply = await api.request(
        "POST", C + "/keys/upload", alice, json={"device_keys": Device(other_device).device_keys()}
    )
    assert reply.status == 400 and reply.errcode == "M_INVALID_PARAM"

    for bad in ({"device_keys": "nope"}, {"one_time_keys": {"nocolon": "x"}}, {"one_time_keys": []}):
        reply = await api.request("POST", C + "/keys/upload", alice, json=bad)
        assert reply.status == 400 and reply.errcode in ("M_BAD_JSON", "M_INVALID_PARAM"), (bad, reply)
    reply = await api.request("POST", C + "/keys/upload", alice, data=b"{not json")
    assert reply.status == 400 and reply.errcode == "M_NOT_JSON"


async def test_query_returns_signed_device_keys_with_display_name(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    await api.ok("PUT", f"{C}/devices/{q(alice.device_id)}", alice, json={"display_name": "Alice's desk"})
    device = Device(alice)
    uploaded = device.device_keys()
    await device.upload(api, device_keys=uploaded)
    body = await api.ok("POST", C + "/keys/query", bob, json={"device_keys": {alice.user_id: []}})
    got = body["device_keys"][alice.user_id][alice.device_id]
    assert got["keys"] == uploaded["keys"] and got["signatures"] == uploaded["signatures"]
    assert got["unsigned"] == {"device_display_name": "Alice's desk"}
    only = await api.ok("POST", C + "/keys/query", bob, json={"device_keys": {alice.user_id: ["NOSUCH"]}})
    assert only["device_keys"][alice.user_id] == {}
    reply = await api.request("POST", C + "/keys/query", bob, json={"device_keys": {alice.user_id: "all"}})
    assert reply.status == 400


async def test_claim_hands_out_each_one_time_key_once_then_the_fallback(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    device = Device(alice)
    counts = await device.upload(
        api,
        device_keys=device.device_keys(),
        one_time_keys=device.one_time_keys(3),
        fallback_keys=device.one_time_keys(1, prefix="fb", fallback=True),
    )
    assert counts["one_time_key_counts"]["signed_curve25519"] == 3
    initial = await api.sync(alice)
    assert initial["device_one_time_keys_count"] == {"signed_curve25519": 3}
    assert initial["device_unused_fallback_key_types"] == ["signed_curve25519"]

    claim = {"one_time_keys": {alice.user_id: {alice.device_id: "signed_curve25519"}}}
    seen = []
    for _ in range(3):
        body = await api.ok("POST", C + "/keys/claim", bob, json=claim)
        seen += list(body["one_time_keys"][alice.user_id][alice.device_id])
    assert sorted(seen) == ["signed_curve25519:k0", "signed_curve25519:k1", "signed_curve25519:k2"]
    for _ in range(2):  # the fallback key is handed out again until replaced
        body = await api.ok("POST", C + "/keys/claim", bob, json=claim)
        key = body["one_time_keys"][alice.user_id][alice.device_id]["signed_curve25519:fb0"]
        assert key["fallback"] is True
    later = await api.sync(alice, initial["next_batch"])
    assert later["device_one_time_keys_count"] == {"signed_curve25519": 0}
    assert later["device_unused_fallback_key_types"] == []

    # A new fallback key is unused again; re-uploading it does not reset a used one.
    await device.upload(api, fallback_keys=device.one_time_keys(1, prefix="fb-new", fallback=True))
    assert (await api.sync(alice))["device_unused_fallback_key_types"] == ["signed_curve25519"]
    unknown = await api.ok(
        "POST", C + "/keys/claim", bob, json={"one_time_keys": {bob.user_id: {"X": "signed_curve25519"}}}
    )
    assert unknown["one_time_keys"] == {}


async def test_one_time_key_ids_cannot_be_reused_with_other_content(api: Api) -> None:
    alice = await api.register()
    device = Device(alice)
    first = device.one_time_keys(1)
    await device.upload(api, one_time_keys=first)
    await device.upload(api, one_time_keys=first)  # a retried upload is fine
    reply = await api.request("POST", C + "/keys/upload", alice, json={"one_time_keys": device.one_time_keys(1)})
    assert reply.status == 400 and reply.errcode == "M_INVALID_PARAM"
    assert (await api.sync(alice))["device_one_time_keys_count"] == {"signed_curve25519": 1}


async def test_fifty_parallel_claims_never_share_a_one_time_key(api: Api) -> None:
    alice = await api.register()
    device = Device(alice)
    await device.upload(api, device_keys=device.device_keys(), one_time_keys=device.one_time_keys(40))
    claimers = [await api.register() for _ in range(5)]
    claim = {"one_time_keys": {alice.user_id: {alice.device_id: "signed_curve25519"}}}

    async def one(n: int) -> list[str]:
        body = await api.ok("POST", C + "/keys/claim", claimers[n % 5], json=claim)
        return list(body["one_time_keys"].get(alice.user_id, {}).get(alice.device_id, {}))

    results = await asyncio.gather(*(one(n) for n in range(50)))
    handed_out = [key_id for keys in results for key_id in keys]
    assert len(handed_out) == len(set(handed_out)) == 40  # 40 keys for 50 claims, no key twice
    assert (await api.sync(alice))["device_one_time_keys_count"] == {"signed_curve25519": 0}


async def _pair_in_room(api: Api) -> tuple[User, User, str, str]:
    """Alice and Bob in one room; returns Bob's sync token after the join."""
    alice, bob = await api.register(), await api.register()
    room = await api.create_room(alice, invite=[bob.user_id])
    await api.join(bob, room)
    token = (await api.sync(bob))["next_batch"]
    return alice, bob, room, token


def _changed(user: User) -> Any:
    return lambda body: user.user_id in body.get("device_lists", {}).get("changed", [])


async def test_device_list_changes_reach_room_members(api: Api) -> None:
    alice, bob, _room, token = await _pair_in_room(api)
    stranger = await api.register()
    stranger_token = (await api.sync(stranger))["next_batch"]

    device = Device(alice)
    await device.upload(api, device_keys=device.device_keys())
    body = await sync_until(api, bob, token, _changed(alice))
    assert alice.user_id not in body["device_lists"]["left"]
    changes = await api.ok("GET", C + "/keys/changes", bob, params={"from": token, "to": body["next_batch"]})
    assert alice.user_id in changes["changed"]
    assert alice.user_id not in (await api.sync(stranger, stranger_token))["device_lists"]["changed"]
    token = body["next_batch"]

    # A re-upload of identical keys is no change.
    await device.upload(api, device_keys=device.device_keys())
    assert alice.user_id not in (await api.sync(bob, token))["device_lists"]["changed"]

    # Deleting a device removes its keys and is announced.
    second = await api.login(alice)
    second_device = Device(second)
    await second_device.upload(
        api, device_keys=second_device.device_keys(), one_time_keys=second_device.one_time_keys(2)
    )
    token = (await sync_until(api, bob, token, _changed(alice)))["next_batch"]
    reply = await api.request("DELETE", f"{C}/devices/{q(second.device_id)}", alice, json={})
    if reply.status == 401:
        auth = {"type": "m.login.password", "identifier": {"type": "m.id.user", "user": alice.user_id}}
        auth |= {"password": alice.password, "session": reply.body["session"]}
        await api.ok("DELETE", f"{C}/devices/{q(second.device_id)}", alice, json={"auth": auth})
    await sync_until(api, bob, token, _changed(alice))
    query = await api.ok("POST", C + "/keys/query", bob, json={"device_keys": {alice.user_id: []}})
    assert list(query["device_keys"][alice.user_id]) == [alice.device_id]
    claim = {"one_time_keys": {alice.user_id: {second.device_id: "signed_curve25519"}}}
    assert (await api.ok("POST", C + "/keys/claim", bob, json=claim))["one_time_keys"] == {}


async def test_renaming_a_device_reaches_room_members(api: Api) -> None:
    alice, bob, _room, token = await _pair_in_room(api)
    await api.ok("PUT", f"{C}/devices/{q(alice.device_id)}", alice, json={"display_name": "Office laptop"})
    body = await sync_until(api, bob, token, _changed(alice))
    changes = await api.ok("GET", C + "/keys/changes", bob, params={"from": token, "to": body["next_batch"]})
    assert alice.user_id in changes["changed"]
    devices = await api.ok("GET", C + "/devices", alice)
    assert {d["device_id"]: d.get("display_name") for d in devices["devices"]}[alice.device_id] == "Office laptop"


async def test_newly_shared_room_is_changed_and_no_longer_shared_is_left(api: Api) -> None:
    alice, bob, room, token = await _pair_in_room(api)
    carol = await api.register()
    carol_before = (await api.sync(carol))["next_batch"]
    await api.ok("POST", f"{C}/rooms/{q(room)}/invite", alice, json={"user_id": carol.user_id})
    await api.join(carol, room)
    body = await sync_until(api, bob, token, _changed(carol))  # Carol joined Bob's room
    joined = await sync_until(api, carol, carol_before, _changed(bob))  # Carol joined a room with Bob in it
    assert alice.user_id in joined["device_lists"]["changed"]
    carol_first = joined["next_batch"]

    await api.ok("POST", f"{C}/rooms/{q(room)}/leave", alice, json={})
    body = await sync_until(api, bob, body["next_batch"], lambda b: alice.user_id in b["device_lists"]["left"])
    assert alice.user_id not in body["device_lists"]["changed"]

    # Carol sees Bob in `changed` when she joined his room... and when Bob leaves, he is `left` for her.
    await api.ok("POST", f"{C}/rooms/{q(room)}/leave", bob, json={})
    await sync_until(api, carol, carol_first, lambda b: bob.user_id in b["device_lists"]["left"])


async def test_encryption_cannot_be_removed_or_changed(api: Api) -> None:
    alice = await api.register()
    encryption = {"algorithm": "m.megolm.v1.aes-sha2"}
    room = await api.create_room(
        alice, initial_state=[{"type": "m.room.encryption", "state_key": "", "content": encryption}]
    )
    state_url = f"{C}/rooms/{q(room)}/state/m.room.encryption/"
    for content in ({}, {"algorithm": "m.none"}, {"algorithm": "m.megolm.v1.aes-sha2", "rotation_period_ms": 1}):
        reply = await api.request("PUT", state_url, alice, json=content)
        assert reply.status == 403 and reply.errcode == "M_FORBIDDEN", (content, reply)
    await api.ok("PUT", state_url, alice, json=encryption)  # restating the same settings changes nothing
    current = await api.ok("GET", state_url, alice)
    assert current == encryption
    event_id = await api.ok("GET", f"{C}/rooms/{q(room)}/state", alice)
    encryption_event = next(e for e in event_id if e["type"] == "m.room.encryption")
    reply = await api.request("PUT", f"{C}/rooms/{q(room)}/redact/{q(encryption_event['event_id'])}/t1", alice, json={})
    assert reply.status == 403 and reply.errcode == "M_FORBIDDEN"
    # A room without encryption can still turn it on.
    plain = await api.create_room(alice)
    await api.ok("PUT", f"{C}/rooms/{q(plain)}/state/m.room.encryption/", alice, json=encryption)
