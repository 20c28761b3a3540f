"""End-to-end encryption with real crypto: matrix-nio clients (Olm/Megolm through vodozemac) talking via the server.

Each client keeps its crypto store in its own tmp directory, uploads its keys, tracks device lists from
/sync, claims one-time keys and shares Megolm sessions over to-device messages, exactly as a nio bot does.
The server only ever sees ciphertext; every assertion is about what a client could decrypt.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import nio
import pytest

from tests.client import Api, User, q
from tests.serverproc import ServerProcess

C = "/_matrix/client/v3"
PASSWORD = "correct horse battery"
ENCRYPTION = {"algorithm": "m.megolm.v1.aes-sha2"}


class Person:
    """One device: a nio client with encryption on, and every message text it could decrypt, per room."""

    def __init__(self, client: nio.AsyncClient) -> None:
        self.client = client
        self.decrypted: dict[str, list[tuple[str, str]]] = {}
        self.undecryptable = 0

    @property
    def user_id(self) -> str:
        return str(self.client.user_id)

    async def step(self, timeout: int = 0) -> None:
        """One round of what a nio client does in its sync loop: sync, then the key housekeeping it asks for."""
        client = self.client
        reply = await client.sync(timeout=timeout, full_state=client.next_batch is None)
        assert isinstance(reply, nio.SyncResponse), reply
        for room_id, room in reply.rooms.join.items():
            for event in room.timeline.events:
                if isinstance(event, nio.RoomMessageText):
                    assert event.decrypted, "a plaintext message in an encrypted room"
                    self.decrypted.setdefault(room_id, []).append((event.sender, event.body))
                elif isinstance(event, nio.MegolmEvent):
                    self.undecryptable += 1
        if client.should_upload_keys:
            assert isinstance(await client.keys_upload(), nio.KeysUploadResponse)
        if client.should_query_keys:
            assert isinstance(await client.keys_query(), nio.KeysQueryResponse)
        if client.should_claim_keys:
            claimed = await client.keys_claim(client.get_users_for_key_claiming())
            assert isinstance(claimed, nio.KeysClaimResponse), claimed
        await client.send_to_device_messages()

    async def send(self, room_id: str, body: str) -> str:
        reply = await self.client.room_send(
            room_id, "m.room.message", {"msgtype": "m.text", "body": body}, ignore_unverified_devices=True
        )
        assert isinstance(reply, nio.RoomSendResponse), reply
        return str(reply.event_id)

    def texts(self, room_id: str) -> list[str]:
        return [body for _, body in self.decrypted.get(room_id, [])]


NewPerson = Callable[..., Awaitable[Person]]


@pytest.fixture
async def people(server: ServerProcess, tmp_path: Path) -> AsyncIterator[NewPerson]:
    made: list[Person] = []

    async def make(login_as: Person | None = None) -> Person:
        store = tmp_path / f"store{len(made)}"
        store.mkdir()
        config = nio.AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False)
        if login_as is None:
            client = nio.AsyncClient(server.base_url, "", store_path=str(store), config=config)
            reply: Any = await client.register(f"e2e{len(made)}_{time.monotonic_ns()}", PASSWORD)
            assert isinstance(reply, nio.RegisterResponse), reply
        else:
            client = nio.AsyncClient(server.base_url, login_as.user_id, store_path=str(store), config=config)
            reply = await client.login(PASSWORD, device_name="second device")
            assert isinstance(reply, nio.LoginResponse), reply
        person = Person(client)
        made.append(person)
        await person.step()  # uploads the device keys and one-time keys
        assert not client.should_upload_keys
        return person

    yield make
    for person in made:
        await person.client.close()


async def until(condition: Callable[[], bool], *everyone: Person, rounds: int = 15) -> None:
    """Let every client run its sync loop until `condition` holds."""
    for _ in range(rounds):
        for person in everyone:
            await person.step(timeout=200)
        if condition():
            return
    raise AssertionError("clients did not reach the expected state")


async def encrypted_room(owner: Person, *members: Person) -> str:
    created = await owner.client.room_create(
        name="Cabinet",
        invite=[m.user_id for m in members],
        initial_state=[{"type": "m.room.encryption", "state_key": "", "content": ENCRYPTION}],
    )
    assert isinstance(created, nio.RoomCreateResponse), created
    for member in members:
        assert isinstance(await member.client.join(created.room_id), nio.JoinResponse)
    return str(created.room_id)


def raw(person: Person) -> User:
    return User(person.user_id, str(person.client.access_token), str(person.client.device_id), PASSWORD)


async def test_two_users_exchange_and_decrypt_messages(people: NewPerson, api: Api) -> None:
    alice, bob = await people(), await people()
    room = await encrypted_room(alice, bob)
    await until(lambda: alice.client.rooms[room].encrypted and room in bob.client.rooms, alice, bob)

    event_id = await alice.send(room, "The budget is approved")
    await until(lambda: "The budget is approved" in bob.texts(room), bob)
    await bob.send(room, "Acknowledged, thank you")
    await until(lambda: "Acknowledged, thank you" in alice.texts(room), alice)
    assert alice.decrypted[room][-1] == (bob.user_id, "Acknowledged, thank you")

    # What the server stored and serves is ciphertext only.
    stored = await api.ok("GET", f"{C}/rooms/{q(room)}/event/{q(event_id)}", raw(bob))
    assert stored["type"] == "m.room.encrypted" and "budget" not in str(stored)
    assert stored["content"]["algorithm"] == "m.megolm.v1.aes-sha2"
    assert alice.undecryptable == bob.undecryptable == 0


async def test_late_joiner_and_second_device_get_keys_for_new_messages(people: NewPerson) -> None:
    alice, bob = await people(), await people()
    room = await encrypted_room(alice, bob)
    await until(lambda: room in bob.client.rooms and alice.client.rooms[room].encrypted, alice, bob)
    await alice.send(room, "before carol")
    await until(lambda: "before carol" in bob.texts(room), bob)

    # A third user joins later: Alice's client learns of Carol's device through device_lists.changed.
    carol = await people()
    assert isinstance(await alice.client.room_invite(room, carol.user_id), nio.RoomInviteResponse)
    await until(lambda: room in carol.client.invited_rooms, carol)
    assert isinstance(await carol.client.join(room), nio.JoinResponse)
    await until(lambda: carol.user_id in alice.client.rooms[room].users, alice, carol)
    await alice.send(room, "welcome carol")
    await until(lambda: "welcome carol" in carol.texts(room), carol, bob)
    assert "before carol" not in carol.texts(room)  # keys are not shared for history she was not sent
    assert "welcome carol" in bob.texts(room)

    # Bob logs in on a second device; others see it in device_lists.changed and share keys with it too.
    bob_laptop = await people(login_as=bob)
    laptop_id = str(bob_laptop.client.device_id)
    await until(lambda: room in bob_laptop.client.rooms, bob_laptop)
    await until(
        lambda: any(d.device_id == laptop_id for d in carol.client.device_store.active_user_devices(bob.user_id)),
        alice,
        bob,
        carol,
    )
    await carol.send(room, "hello bob's laptop")
    await until(lambda: "hello bob's laptop" in bob_laptop.texts(room), bob_laptop, bob)
    assert "hello bob's laptop" in bob.texts(room)
    await bob_laptop.send(room, "sent from the laptop")
    await until(lambda: "sent from the laptop" in alice.texts(room), alice, carol)
    await until(lambda: "sent from the laptop" in carol.texts(room), carol)
