"""The in-memory recent events answer a window only when they hold every event of the room in it."""

from __future__ import annotations

from chancery.events.notifications import Notification, classify
from chancery.services.notifier import Change, Notifier, room_key
from chancery.services.rooms.recent_events import RecentEvents
from chancery.storage.events import StoredEvent

ROOM = "!room:example.org"
KEY = room_key(ROOM, Change.EVENT)


def message(pos: int, sender: str = "@alice:example.org", body: str = "hi") -> StoredEvent:
    event = {
        "event_id": f"$e{pos}",
        "room_id": ROOM,
        "type": "m.room.message",
        "sender": sender,
        "content": {"msgtype": "m.text", "body": body},
        "origin_server_ts": 1000 + pos,
    }
    return StoredEvent(pos, event)


def held(
    stored: StoredEvent, txn: tuple[str, str, str] | None = None
) -> tuple[StoredEvent, tuple[str, str, str] | None, Notification]:
    """What RoomEventService hands over for an event it wrote."""
    return stored, txn, classify(stored.event)


def setup(start: int = 10) -> tuple[Notifier, RecentEvents]:
    notifier = Notifier()
    notifier.start_tracking(start)
    return notifier, RecentEvents(notifier, per_room=4)


def write(notifier: Notifier, recent: RecentEvents, *positions: int) -> None:
    """As RoomEventService does: add the committed events, then announce them."""
    recent.add(ROOM, [held(message(p)) for p in positions])
    notifier.notify_local(positions[-1], [KEY], positions[0])


def positions(found: list[object] | None) -> list[int] | None:
    return None if found is None else [c.stored.pos for c in found]  # type: ignore[attr-defined]


def test_answers_windows_it_covers_newest_first() -> None:
    notifier, recent = setup()
    write(notifier, recent, 11)
    write(notifier, recent, 12, 13)
    assert positions(recent.window(ROOM, 10, 13, 10)) == [13, 12, 11]
    assert positions(recent.window(ROOM, 11, 13, 1)) == [13]
    assert positions(recent.window(ROOM, 13, 13, 10)) == []


def test_nothing_before_the_first_event_it_saw_and_nothing_not_yet_announced() -> None:
    notifier, recent = setup()
    notifier.notify_local(14, ["room:!elsewhere:example.org|event"], 11)  # other rooms' positions
    write(notifier, recent, 15)
    assert recent.window(ROOM, 13, 15, 10) is None  # the entry cannot tell what 11..14 held here
    assert positions(recent.window(ROOM, 14, 15, 10)) == [15]
    recent.add(ROOM, [held(message(16))])  # committed, not announced yet
    assert recent.window(ROOM, 15, 16, 10) is None


def test_an_event_announced_without_being_held_narrows_the_window() -> None:
    notifier, recent = setup()
    write(notifier, recent, 11)
    notifier.notify_local(12, [KEY], 12)  # written by another process
    write(notifier, recent, 13)
    assert recent.window(ROOM, 11, 13, 10) is None
    assert positions(recent.window(ROOM, 12, 13, 10)) == [13]


def test_a_room_first_seen_after_another_process_wrote_to_it() -> None:
    notifier, recent = setup()
    notifier.notify_local(11, [], 11)  # a position elsewhere
    recent.add(ROOM, [held(message(12))])  # committed at 12; its announcement is still on its way
    notifier.notify_local(13, [KEY], 13)  # meanwhile another process's event at 13 was announced
    notifier.notify_local(12, [KEY], 12)
    assert recent.window(ROOM, 11, 13, 10) is None
    assert positions(recent.window(ROOM, 13, 13, 10)) == []


def test_a_redaction_drops_what_came_before_it() -> None:
    notifier, recent = setup()
    write(notifier, recent, 11, 12)
    redaction = StoredEvent(13, {**message(13).event, "type": "m.room.redaction", "content": {"redacts": "$e11"}})
    recent.add(ROOM, [held(redaction)])
    notifier.notify_local(13, [KEY], 13)
    assert recent.window(ROOM, 10, 13, 10) is None
    assert positions(recent.window(ROOM, 13, 13, 10)) == []


def test_a_raised_floor_drops_everything_below_it() -> None:
    notifier, recent = setup()
    write(notifier, recent, 11, 12)
    notifier.skip_to(14)
    assert recent.window(ROOM, 10, 14, 10) is None
    assert recent.window(ROOM, 12, 14, 10) is None


def test_only_the_newest_events_of_a_room_are_kept() -> None:
    notifier, recent = setup()
    write(notifier, recent, 11, 12, 13, 14, 15, 16)
    assert recent.window(ROOM, 11, 16, 10) is None
    assert positions(recent.window(ROOM, 12, 16, 10)) == [16, 15, 14, 13]
    assert recent.transaction_ids(["$e11", "$e16"]) == {"$e16": None}


def test_transaction_ids_of_held_events() -> None:
    notifier, recent = setup()
    recent.add(ROOM, [held(message(11), ("@alice:example.org", "DEV", "t1")), held(message(12))])
    notifier.notify_local(12, [KEY], 11)
    assert recent.transaction_ids(["$e11", "$e12", "$other"]) == {
        "$e11": ("@alice:example.org", "DEV", "t1"),
        "$e12": None,
    }


def test_not_tracking_holds_nothing() -> None:
    notifier = Notifier()
    recent = RecentEvents(notifier)
    recent.add(ROOM, [held(message(1))])
    assert recent.window(ROOM, 0, 1, 10) is None
