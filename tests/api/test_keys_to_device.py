"""Send-to-device messages through raw HTTP: delivery, acknowledgement, the per-sync cap, idempotency."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from tests.client import Api, C, User, q
from tests.conftest import cleanup_server, make_server
from tests.serverproc import ServerProcess


async def send_to_device(api: Api, sender: User, txn: str, messages: dict[str, Any], kind: str = "m.test") -> None:
    await api.ok("PUT", f"{C}/sendToDevice/{q(kind)}/{q(txn)}", sender, json={"messages": messages})


def to_device(body: dict[str, Any]) -> list[dict[str, Any]]:
    return list(body.get("to_device", {}).get("events", []))


async def test_messages_survive_a_lost_response_and_go_after_acknowledgement(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    bob_phone = await api.login(bob)
    first = await api.sync(bob)
    await send_to_device(api, alice, "t1", {bob.user_id: {bob.device_id: {"n": 1}}})
    await send_to_device(api, alice, "t2", {bob.user_id: {"*": {"n": 2}}})

    delivered = await api.sync(bob, first["next_batch"], timeout=5000)
    assert to_device(delivered) == [
        {"sender": alice.user_id, "type": "m.test", "content": {"n": 1}},
        {"sender": alice.user_id, "type": "m.test", "content": {"n": 2}},
    ]
    # The response was "lost": the same request again gets the same messages.
    again = await api.sync(bob, first["next_batch"])
    assert to_device(again) == to_device(delivered)
    # Syncing on from the response's token acknowledges them.
    assert to_device(await api.sync(bob, again["next_batch"])) == []
    # Bob's other device got only the message sent to all devices.
    assert [e["content"] for e in to_device(await api.sync(bob_phone))] == [{"n": 2}]


async def test_a_repeated_transaction_sends_once(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    for _ in range(3):
        await send_to_device(api, alice, "same", {bob.user_id: {bob.device_id: {"once": True}}})
    assert [e["content"] for e in to_device(await api.sync(bob))] == [{"once": True}]
    # The same transaction ID from another device of the sender is another transaction.
    alice_laptop = await api.login(alice)
    await send_to_device(api, alice_laptop, "same", {bob.user_id: {bob.device_id: {"twice": True}}})
    first = await api.sync(bob)
    assert [e["content"] for e in to_device(first)] == [{"once": True}, {"twice": True}]


async def test_at_most_one_hundred_per_sync_and_the_rest_next_time(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    for n in range(150):
        await send_to_device(api, alice, f"m{n}", {bob.user_id: {bob.device_id: {"n": n}}})
    first = await api.sync(bob)
    assert [e["content"]["n"] for e in to_device(first)] == list(range(100))
    retry = await api.sync(bob)  # an initial sync again acknowledges nothing
    assert [e["content"]["n"] for e in to_device(retry)] == list(range(100))
    second = await api.sync(bob, first["next_batch"], timeout=5000)
    assert [e["content"]["n"] for e in to_device(second)] == list(range(100, 150))
    second_again = await api.sync(bob, first["next_batch"])  # lost response: same rest again
    assert [e["content"]["n"] for e in to_device(second_again)] == list(range(100, 150))
    assert to_device(await api.sync(bob, second["next_batch"])) == []


async def test_bad_to_device_requests(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    url = f"{C}/sendToDevice/m.test/"
    for i, body in enumerate(({}, {"messages": []}, {"messages": {bob.user_id: {bob.device_id: "text"}}})):
        reply = await api.request("PUT", url + f"bad{i}", alice, json=body)
        assert reply.status == 400 and reply.errcode in ("M_BAD_JSON", "M_MISSING_PARAM"), reply
    assert (await api.request("PUT", url + "x", None, json={"messages": {}})).errcode == "M_MISSING_TOKEN"
    # Unknown devices and users are skipped, the rest delivered.
    await send_to_device(api, alice, "mixed", {"@nobody:localhost": {"X": {}}, bob.user_id: {"NOPE": {}, "*": {}}})
    assert len(to_device(await api.sync(bob))) == 1


async def test_deleting_a_device_drops_its_queue(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    bob_phone = await api.login(bob)
    await send_to_device(api, alice, "q", {bob.user_id: {bob_phone.device_id: {"for": "phone"}}})
    await api.ok("POST", C + "/logout", bob_phone, json={})
    again = await api.login(bob, device_id=bob_phone.device_id)
    assert to_device(await api.sync(again)) == []


async def test_transaction_ids_are_remembered_across_a_restart(tmp_path: Path, server: ServerProcess) -> None:
    own = await asyncio.to_thread(make_server, tmp_path, server.engine, "--open-registration", "--no-rate-limits")
    await asyncio.to_thread(own.start)
    api = Api(own.base_url)
    try:
        alice, bob = await api.register(), await api.register()
        await send_to_device(api, alice, "restart", {bob.user_id: {bob.device_id: {"n": 1}}})
        await asyncio.to_thread(own.kill)  # no clean shutdown: what was answered with 200 must be on disk
        await asyncio.to_thread(own.start)
        await send_to_device(api, alice, "restart", {bob.user_id: {bob.device_id: {"n": 1}}})
        assert [e["content"] for e in to_device(await api.sync(bob))] == [{"n": 1}]
    finally:
        await api.close()
        await asyncio.to_thread(cleanup_server, own)
