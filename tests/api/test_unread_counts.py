"""unread_notifications in /sync: what notifies and what highlights (client-server API: receiving
notifications; push rules: default rules, v1.17)."""

from __future__ import annotations

from typing import Any

from tests.client import Api, C, User, q


async def _two_members(api: Api) -> tuple[User, User, str]:
    alice = await api.register()
    bob = await api.register()
    room = await api.create_room(alice, preset="public_chat")
    await api.join(bob, room)
    return alice, bob, room


async def _counts(api: Api, user: User, room: str) -> dict[str, Any]:
    body = await api.sync(user)
    return dict(body["rooms"]["join"][room]["unread_notifications"])


async def test_messages_from_others_count_own_do_not(api: Api) -> None:
    alice, bob, room = await _two_members(api)
    for text in ("one", "two", "three"):
        await api.send(alice, room, text)
    await api.send(bob, room, "my own message")
    assert await _counts(api, bob, room) == {"notification_count": 3, "highlight_count": 0}
    assert (await _counts(api, alice, room))["notification_count"] == 1


async def test_notices_and_edits_do_not_count(api: Api) -> None:
    alice, bob, room = await _two_members(api)
    original = await api.send(alice, room, "typo")
    await api.send(alice, room, content={"msgtype": "m.notice", "body": "a bot speaks"})
    await api.send(
        alice,
        room,
        content={
            "msgtype": "m.text",
            "body": "* fixed",
            "m.new_content": {"msgtype": "m.text", "body": "fixed"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": original},
        },
    )
    await api.send(alice, room, event_type="m.reaction", content={"m.relates_to": {}})
    assert await _counts(api, bob, room) == {"notification_count": 1, "highlight_count": 0}


async def test_read_receipt_resets_the_count(api: Api) -> None:
    alice, bob, room = await _two_members(api)
    await api.send(alice, room, "one")
    second = await api.send(alice, room, "two")
    assert (await _counts(api, bob, room))["notification_count"] == 2
    await api.ok("POST", f"{C}/rooms/{q(room)}/receipt/m.read/{q(second)}", bob, json={})
    assert await _counts(api, bob, room) == {"notification_count": 0, "highlight_count": 0}
    await api.send(alice, room, "three")
    assert (await _counts(api, bob, room))["notification_count"] == 1


async def test_mentions_of_the_user_and_the_room_highlight(api: Api) -> None:
    alice, bob, room = await _two_members(api)
    carol = await api.register()
    await api.join(carol, room)
    await api.send(
        alice, room, content={"msgtype": "m.text", "body": "bob!", "m.mentions": {"user_ids": [bob.user_id]}}
    )
    await api.send(alice, room, content={"msgtype": "m.text", "body": "everyone!", "m.mentions": {"room": True}})
    # The body naming bob is not a mention since v1.17; only m.mentions is.
    await api.send(alice, room, f"hello {bob.user_id}")
    assert await _counts(api, bob, room) == {"notification_count": 3, "highlight_count": 2}
    assert await _counts(api, carol, room) == {"notification_count": 3, "highlight_count": 1}


async def test_room_mentions_highlight_only_from_senders_allowed_to_notify_the_room(api: Api) -> None:
    alice, bob, room = await _two_members(api)  # alice created the room (power 100), bob has 0
    carol = await api.register()
    await api.join(carol, room)
    everyone = {"msgtype": "m.text", "body": "everyone!", "m.mentions": {"room": True}}
    await api.send(bob, room, content=everyone)  # notifications.room defaults to 50: no highlight
    assert await _counts(api, carol, room) == {"notification_count": 1, "highlight_count": 0}
    await api.send(alice, room, content=everyone)
    assert await _counts(api, carol, room) == {"notification_count": 2, "highlight_count": 1}
    levels = await api.ok("GET", f"{C}/rooms/{q(room)}/state/m.room.power_levels", alice)
    levels["notifications"] = {"room": 0}
    await api.ok("PUT", f"{C}/rooms/{q(room)}/state/m.room.power_levels", alice, json=levels)
    await api.send(bob, room, content=everyone)  # now anyone may
    assert await _counts(api, carol, room) == {"notification_count": 3, "highlight_count": 2}


async def test_redacted_messages_stop_counting(api: Api) -> None:
    alice, bob, room = await _two_members(api)
    mention = await api.send(
        alice, room, content={"msgtype": "m.text", "body": "bob", "m.mentions": {"user_ids": [bob.user_id]}}
    )
    await api.send(alice, room, "stays")
    await api.ok("PUT", f"{C}/rooms/{q(room)}/redact/{q(mention)}/r1", alice, json={})
    assert await _counts(api, bob, room) == {"notification_count": 1, "highlight_count": 0}


async def test_counts_update_in_incremental_sync(api: Api) -> None:
    alice, bob, room = await _two_members(api)
    first = await api.sync(bob)
    await api.send(alice, room, content={"msgtype": "m.text", "body": "hi", "m.mentions": {"user_ids": [bob.user_id]}})
    later = await api.sync(bob, since=first["next_batch"])
    counts = later["rooms"]["join"][room]["unread_notifications"]
    assert counts == {"notification_count": 1, "highlight_count": 1}


async def test_counts_stay_exact_across_many_syncs_and_a_late_redaction(api: Api) -> None:
    """Counts carried from one /sync to the next must equal a fresh count, also after a redaction."""
    alice, bob, room = await _two_members(api)
    first = await api.send(alice, room, content={"msgtype": "m.text", "body": "hi", "m.mentions": {"room": True}})
    since = (await api.sync(bob))["next_batch"]
    expected = 1
    for index in range(4):
        await api.send(alice, room, f"message {index}")
        expected += 1
        body = await api.sync(bob, since)
        since = body["next_batch"]
        counts = body["rooms"]["join"][room]["unread_notifications"]
        assert counts == {"notification_count": expected, "highlight_count": 1}
    await api.ok("PUT", f"{C}/rooms/{q(room)}/redact/{q(first)}/r1", alice, json={})
    body = await api.sync(bob, since)
    assert body["rooms"]["join"][room]["unread_notifications"] == {
        "notification_count": expected - 1,
        "highlight_count": 0,
    }
    assert await _counts(api, bob, room) == {"notification_count": expected - 1, "highlight_count": 0}
