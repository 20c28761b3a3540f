"""HTTP pushers deliver to a real push gateway on 127.0.0.1 (push gateway API: /_matrix/push/v1/notify):
content-free by default, never content from encrypted rooms, retried while the gateway is down (also
across a restart), rejected push keys delete their pusher, and several processes deliver each once."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.client import Api, C, User, q
from tests.conftest import ENGINES, cleanup_server, make_server
from tests.own_server import RELAXED, client_of, own_server
from tests.push_gateway import PushGateway
from tests.serverproc import ServerProcess

ENCRYPTION = {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}


@pytest.fixture
async def gateway() -> AsyncIterator[PushGateway]:
    gw = await PushGateway().start()
    yield gw
    await gw.stop()


async def set_pusher(api: Api, user: User, url: str, pushkey: str | None = None, **data: Any) -> str:
    pushkey = pushkey or "key-" + secrets.token_hex(8)
    await api.ok(
        "POST",
        C + "/pushers/set",
        user,
        json={
            "kind": "http",
            "app_id": "gov.example.messenger",
            "pushkey": pushkey,
            "app_display_name": "Messenger",
            "device_display_name": "Phone",
            "lang": "en",
            "data": {"url": url, **data},
        },
    )
    return pushkey


async def dm(api: Api, **room: Any) -> tuple[User, User, str]:
    alice = await api.register()
    bob = await api.register()
    room_id = await api.create_room(alice, is_direct=True, invite=[bob.user_id], preset="trusted_private_chat", **room)
    await api.join(bob, room_id)
    return alice, bob, room_id


async def test_a_message_in_a_dm_is_pushed_once_without_content(api: Api, gateway: PushGateway) -> None:
    alice, bob, room = await dm(api)
    pushkey = await set_pusher(api, bob, gateway.url, format="event_id_only", extra="kept")
    started = time.monotonic()
    event_id = await api.send(alice, room, "the minister arrives at ten")
    [notification] = await gateway.wait_for(1)
    # Issue 10 asks for a second; typically 50-200 ms here, with slack for a loaded test machine.
    elapsed = time.monotonic() - started
    assert elapsed < 2.0, elapsed
    assert notification["event_id"] == event_id and notification["room_id"] == room
    assert notification["counts"] == {"unread": 1} and notification["prio"] == "high"
    [device] = notification["devices"]
    assert device["pushkey"] == pushkey and device["app_id"] == "gov.example.messenger"
    assert device["data"] == {"format": "event_id_only", "extra": "kept"}  # the gateway URL is not repeated
    for leak in ("content", "sender", "type", "sender_display_name", "room_name"):
        assert leak not in notification
    second = await api.send(alice, room, "and leaves at eleven")
    await gateway.wait_for(2)
    await asyncio.sleep(0.5)
    assert [n["event_id"] for n in gateway.received] == [event_id, second], gateway.received
    assert gateway.received[1]["counts"] == {"unread": 2}, gateway.received


async def test_without_the_config_switch_no_content_leaves_even_when_asked(api: Api, gateway: PushGateway) -> None:
    alice, bob, room = await dm(api)
    await set_pusher(api, bob, gateway.url)  # no format: the pusher would take full content
    await api.send(alice, room, "secret plans")
    [notification] = await gateway.wait_for(1)
    assert "content" not in notification and "sender" not in notification


async def test_own_messages_notices_and_other_rooms_are_not_pushed(api: Api, gateway: PushGateway) -> None:
    alice, bob, room = await dm(api)
    await set_pusher(api, bob, gateway.url)
    await api.send(bob, room, "my own words")
    await api.send(alice, room, content={"msgtype": "m.notice", "body": "a bot"})
    elsewhere = await api.create_room(alice)
    await api.send(alice, elsewhere, "bob is not here")
    mention = await api.send(  # not a notifying type, but it mentions bob
        alice, room, event_type="org.example.ping", content={"body": "bob!", "m.mentions": {"user_ids": [bob.user_id]}}
    )
    [notification] = await gateway.wait_for(1)
    await asyncio.sleep(0.5)
    assert len(gateway.received) == 1
    assert notification["event_id"] == mention
    assert notification["devices"][0]["tweaks"] == {"highlight": True, "sound": "default"}


async def test_an_invite_is_pushed_to_the_invitee(api: Api, gateway: PushGateway) -> None:
    alice = await api.register()
    bob = await api.register()
    await set_pusher(api, bob, gateway.url)
    room = await api.create_room(alice)
    await api.ok("POST", f"{C}/rooms/{q(room)}/invite", alice, json={"user_id": bob.user_id})
    [notification] = await gateway.wait_for(1)
    assert notification["room_id"] == room


async def test_a_rejected_push_key_deletes_its_pusher(api: Api, gateway: PushGateway) -> None:
    alice, bob, room = await dm(api)
    pushkey = await set_pusher(api, bob, gateway.url)
    gateway.rejected.add(pushkey)
    await api.send(alice, room, "are you there?")
    await gateway.wait_for(1)
    for _ in range(50):
        if not (await api.ok("GET", C + "/pushers", bob))["pushers"]:
            break
        await asyncio.sleep(0.1)
    assert (await api.ok("GET", C + "/pushers", bob))["pushers"] == []
    await api.send(alice, room, "hello?")
    await asyncio.sleep(1.0)
    assert len(gateway.received) == 1


async def test_a_gateway_that_is_down_gets_the_notification_once_it_is_up(api: Api) -> None:
    down = PushGateway()  # its port is free: connections are refused until it starts
    alice, bob, room = await dm(api)
    await set_pusher(api, bob, down.url)
    event_id = await api.send(alice, room, "urgent")
    await asyncio.sleep(1.5)  # the first attempt and the first retry (after 1 s) fail
    await down.start()
    try:
        [notification] = await down.wait_for(1, timeout=15)
        assert notification["event_id"] == event_id
    finally:
        await down.stop()


async def test_5xx_answers_are_retried_in_order(api: Api, gateway: PushGateway) -> None:
    gateway.failures_left = 2
    alice, bob, room = await dm(api)
    await set_pusher(api, bob, gateway.url)
    first = await api.send(alice, room, "one")
    second = await api.send(alice, room, "two")
    await gateway.wait_for(2, timeout=15)
    assert [n["event_id"] for n in gateway.received] == [first, second]


async def test_a_failing_gateway_is_retried_with_backoff_first_notification_first(
    api: Api, gateway: PushGateway
) -> None:
    gateway.failures_left = 1000
    alice, bob, room = await dm(api)
    await set_pusher(api, bob, gateway.url)
    first = await api.send(alice, room, "one")
    await api.send(alice, room, "two")
    await asyncio.sleep(3.6)  # attempts at about 0 s, 1 s and 3 s (then 7 s)
    assert 2 <= len(gateway.attempts) <= 4, gateway.attempts
    assert set(gateway.attempts) == {first}  # the second waits behind the first


async def test_a_deleted_device_takes_its_pushers_with_it(api: Api, gateway: PushGateway) -> None:
    alice, bob, room = await dm(api)
    phone = await api.login(bob)
    await set_pusher(api, phone, gateway.url)
    assert len((await api.ok("GET", C + "/pushers", bob))["pushers"]) == 1
    await api.ok("POST", C + "/logout", phone, json={})
    assert (await api.ok("GET", C + "/pushers", bob))["pushers"] == []
    await api.send(alice, room, "nobody listens")
    await asyncio.sleep(1.0)
    assert gateway.received == []


async def test_the_recipients_own_rules_mute_rooms_and_senders(api: Api, gateway: PushGateway) -> None:
    alice, bob, room = await dm(api)
    other = await api.create_room(alice, invite=[bob.user_id])
    await api.join(bob, other)
    await set_pusher(api, bob, gateway.url)
    # Element mutes a room with an override rule named after it; a room rule with no actions does as much.
    mute = {"actions": [], "conditions": [{"kind": "event_match", "key": "room_id", "pattern": room}]}
    await api.ok("PUT", f"{C}/pushrules/global/override/{q(room)}", bob, json=mute)
    await api.send(alice, room, "muted")
    keyword = {"actions": ["notify", {"set_tweak": "highlight"}], "pattern": "budget"}
    await api.ok("PUT", f"{C}/pushrules/global/content/budget", bob, json=keyword)
    loud = await api.send(alice, other, "the Budget is due")
    [notification] = await gateway.wait_for(1)
    assert notification["event_id"] == loud
    assert notification["devices"][0]["tweaks"]["highlight"] is True
    await api.ok("PUT", f"{C}/pushrules/global/override/.m.rule.master/enabled", bob, json={"enabled": True})
    await api.send(alice, other, "everything is off now")
    await asyncio.sleep(1.0)
    assert len(gateway.received) == 1


# -- with [push] include_content = true ----------------------------------------------------------------


@pytest.fixture(scope="module", params=ENGINES)
def content_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    yield from own_server(request, tmp_path_factory, "push-content", "[push]\ninclude_content = true\n", *RELAXED)


@pytest.fixture
async def content_api(content_server: ServerProcess) -> AsyncIterator[Api]:
    async for client in client_of(content_server):
        yield client


async def test_content_is_sent_only_where_allowed_and_never_from_encrypted_rooms(
    content_api: Api, gateway: PushGateway
) -> None:
    api = content_api
    alice, bob, plain = await dm(api)
    await set_pusher(api, bob, gateway.url)
    await api.send(alice, plain, "lunch at noon")
    [notification] = await gateway.wait_for(1)
    assert notification["content"]["body"] == "lunch at noon" and notification["sender"] == alice.user_id
    encrypted = await api.create_room(alice, invite=[bob.user_id], initial_state=[ENCRYPTION])
    await api.join(bob, encrypted)
    sealed = await api.send(
        alice,
        encrypted,
        event_type="m.room.encrypted",
        content={"algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "AwgAEn...", "session_id": "s", "device_id": "D"},
    )
    # A plain message in an encrypted room (a misbehaving client) does not leak either.
    stray = await api.send(alice, encrypted, "sent without encryption")
    for event_id in (sealed, stray):  # (the invite to the encrypted room may be pushed too)
        pushed = await gateway.wait_for_event(event_id)
        for leak in ("content", "sender", "type"):
            assert leak not in pushed


async def test_the_pushers_format_keeps_content_back_even_when_allowed(content_api: Api, gateway: PushGateway) -> None:
    alice, bob, room = await dm(content_api)
    await set_pusher(content_api, bob, gateway.url, format="event_id_only")
    await content_api.send(alice, room, "lunch at noon")
    [notification] = await gateway.wait_for(1)
    assert "content" not in notification


async def test_no_content_leaves_a_classified_room(content_api: Api, gateway: PushGateway) -> None:
    marking = {"type": "org.chancery.classification", "state_key": "", "content": {"level": "SECRET"}}
    alice, bob, room = await dm(content_api, initial_state=[marking])
    await set_pusher(content_api, bob, gateway.url)
    await content_api.send(alice, room, "the plan")
    [notification] = await gateway.wait_for(1)
    for leak in ("content", "sender", "type"):
        assert leak not in notification


# -- restarts and several processes ---------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
async def test_a_queued_notification_survives_a_restart_while_the_gateway_is_down(engine: str, tmp_path: Path) -> None:
    own = await asyncio.to_thread(make_server, tmp_path, engine, *RELAXED)
    await asyncio.to_thread(own.start)
    down = PushGateway()
    api = Api(own.base_url)
    try:
        alice, bob, room = await dm(api)
        await set_pusher(api, bob, down.url)
        event_id = await api.send(alice, room, "before the restart")
        await asyncio.sleep(0.5)
        await asyncio.to_thread(own.stop)
        await down.start()
        await asyncio.to_thread(own.start)
        [notification] = await down.wait_for(1, timeout=20)
        assert notification["event_id"] == event_id
    finally:
        await api.close()
        await down.stop()
        await asyncio.to_thread(cleanup_server, own)


@pytest.mark.skipif("postgres" not in ENGINES, reason="several processes need PostgreSQL")
async def test_two_processes_deliver_each_notification_once(tmp_path: Path, gateway: PushGateway) -> None:
    own = await asyncio.to_thread(make_server, tmp_path, "postgres", *RELAXED, "--workers", "2")
    await asyncio.to_thread(own.start)
    api = Api(own.base_url)
    try:
        alice, bob, room = await dm(api)
        await set_pusher(api, bob, gateway.url)
        sent = await asyncio.gather(*(api.send(alice, room, f"message {n}") for n in range(20)))
        await gateway.wait_for(20, timeout=20)
        await asyncio.sleep(2.5)  # time for a duplicate to turn up
        pushed = [n["event_id"] for n in gateway.received]
        assert sorted(pushed) == sorted(sent)
    finally:
        await api.close()
        await asyncio.to_thread(cleanup_server, own)
