"""Event and sync filters (client-server API: filtering; EventFilter / RoomEventFilter / Filter definitions)."""

from __future__ import annotations

from typing import Any

import pytest

from chancery.errors import MatrixError
from chancery.events.filters import (
    MAX_TIMELINE_LIMIT,
    EventFilter,
    SyncFilter,
    validate_filter_definition,
)

ALICE = "@alice:hs.example"
BOB = "@bob:hs.example"
ROOM_A = "!a:hs.example"
ROOM_B = "!b:hs.example"


def event(
    event_type: str = "m.room.message", sender: str = ALICE, room_id: str | None = ROOM_A, **content: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {"type": event_type, "sender": sender, "content": content}
    if room_id is not None:
        out["room_id"] = room_id
    return out


# ---------------------------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param([], id="not-an-object"),
        pytest.param("types", id="string"),
        pytest.param({"types": "m.room.message"}, id="types-not-a-list"),
        pytest.param({"types": ["m.room.message", 5]}, id="types-non-string"),
        pytest.param({"not_types": [None]}, id="not_types-null-entry"),
        pytest.param({"senders": ALICE}, id="senders-not-a-list"),
        pytest.param({"not_senders": [{}]}, id="not_senders-object-entry"),
        pytest.param({"rooms": ROOM_A}, id="rooms-not-a-list"),
        pytest.param({"not_rooms": [1]}, id="not_rooms-int-entry"),
        pytest.param({"limit": "10"}, id="limit-string"),
        pytest.param({"limit": 1.5}, id="limit-float"),
        pytest.param({"limit": True}, id="limit-bool"),
        pytest.param({"limit": -1}, id="limit-negative"),
        pytest.param({"contains_url": "true"}, id="contains_url-string"),
        pytest.param({"contains_url": 1}, id="contains_url-int"),
        pytest.param({"lazy_load_members": "false"}, id="lazy_load_members-string"),
        pytest.param({"include_redundant_members": 1}, id="include_redundant_members-int"),
    ],
)
def test_event_filter_rejects_bad_types(raw: Any) -> None:
    with pytest.raises(MatrixError) as raised:
        EventFilter.parse(raw)
    assert raised.value.errcode == "M_BAD_JSON"
    assert raised.value.status == 400


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param([], id="not-an-object"),
        pytest.param({"room": []}, id="room-not-an-object"),
        pytest.param({"room": {"rooms": ROOM_A}}, id="room.rooms-not-a-list"),
        pytest.param({"room": {"not_rooms": [7]}}, id="room.not_rooms-int"),
        pytest.param({"room": {"include_leave": "yes"}}, id="room.include_leave-string"),
        pytest.param({"room": {"timeline": []}}, id="room.timeline-not-an-object"),
        pytest.param({"room": {"timeline": {"limit": "5"}}}, id="room.timeline.limit-string"),
        pytest.param({"room": {"state": {"types": "m.room.member"}}}, id="room.state.types-string"),
        pytest.param({"room": {"ephemeral": {"senders": 1}}}, id="room.ephemeral.senders-int"),
        pytest.param({"room": {"account_data": {"not_types": "x"}}}, id="room.account_data.not_types-string"),
        pytest.param({"room": {"state": {"lazy_load_members": "true"}}}, id="room.state.lazy_load_members-string"),
        pytest.param({"presence": {"types": [1]}}, id="presence.types-int"),
        pytest.param({"account_data": "none"}, id="account_data-string"),
        pytest.param({"event_fields": "content.body"}, id="event_fields-string"),
        pytest.param({"event_format": "raw"}, id="event_format-unknown"),
    ],
)
def test_sync_filter_rejects_bad_types(raw: Any) -> None:
    with pytest.raises(MatrixError) as raised:
        SyncFilter.parse(raw)
    assert raised.value.errcode == "M_BAD_JSON"
    with pytest.raises(MatrixError):
        validate_filter_definition(raw)


def test_sync_filter_parses_every_section() -> None:
    parsed = SyncFilter.parse(
        {
            "event_fields": ["type", "content.body"],
            "event_format": "federation",
            "presence": {"types": ["m.presence"]},
            "account_data": {"not_types": ["m.push_rules"]},
            "room": {
                "rooms": [ROOM_A],
                "not_rooms": [ROOM_B],
                "include_leave": True,
                "timeline": {"limit": 5, "types": ["m.room.*"]},
                "state": {"lazy_load_members": True, "include_redundant_members": True},
                "ephemeral": {"senders": [ALICE]},
                "account_data": {"types": ["m.tag"]},
            },
        }
    )
    assert parsed.event_fields == ["type", "content.body"]
    assert parsed.presence.types == ["m.presence"]
    assert parsed.account_data.not_types == ["m.push_rules"]
    assert parsed.room.rooms == [ROOM_A]
    assert parsed.room.not_rooms == [ROOM_B]
    assert parsed.room.include_leave is True
    assert parsed.room.timeline.limit == 5
    assert parsed.room.timeline.types == ["m.room.*"]
    assert parsed.room.state.lazy_load_members is True
    assert parsed.room.state.include_redundant_members is True
    assert parsed.room.ephemeral.senders == [ALICE]
    assert parsed.room.account_data.types == ["m.tag"]


@pytest.mark.parametrize("raw", [None, {}, {"room": {}}, {"room": {"include_leave": None, "timeline": None}}])
def test_sync_filter_defaults(raw: Any) -> None:
    parsed = SyncFilter.parse(raw)
    assert parsed == SyncFilter()
    assert parsed.room.include_leave is False
    assert parsed.room.timeline == EventFilter()
    assert parsed.event_fields is None


def test_unknown_keys_are_ignored() -> None:
    assert EventFilter.parse({"org.example.future": 1}) == EventFilter()
    assert SyncFilter.parse({"org.example.future": {"x": 1}}) == SyncFilter()


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        (1, 1),
        (10, 10),
        (MAX_TIMELINE_LIMIT, MAX_TIMELINE_LIMIT),
        (MAX_TIMELINE_LIMIT + 1, MAX_TIMELINE_LIMIT),
        (2**53 - 1, MAX_TIMELINE_LIMIT),
    ],
)
def test_limit_is_capped(limit: int, expected: int) -> None:
    assert EventFilter.parse({"limit": limit}).limit == expected
    assert SyncFilter.parse({"room": {"timeline": {"limit": limit}}}).room.timeline.limit == expected


def test_absent_limit_leaves_the_default_to_the_caller() -> None:
    assert EventFilter.parse({}).limit is None


# ---------------------------------------------------------------------------------------------------------------
# Matching
# ---------------------------------------------------------------------------------------------------------------

# (filter definition, event, matches?) — one row per rule of the EventFilter / RoomEventFilter definitions.
MATCH_ROWS: list[tuple[str, dict[str, Any], dict[str, Any], bool]] = [
    ("empty filter matches all", {}, event(), True),
    ("types exact", {"types": ["m.room.message"]}, event(), True),
    ("types other", {"types": ["m.room.member"]}, event(), False),
    ("types empty list matches nothing", {"types": []}, event(), False),
    ("types wildcard suffix", {"types": ["m.room.*"]}, event("m.room.topic"), True),
    ("types wildcard suffix, other namespace", {"types": ["m.room.*"]}, event("m.reaction"), False),
    ("types wildcard matches empty sequence", {"types": ["m.room.message*"]}, event(), True),
    ("types wildcard in the middle", {"types": ["m.*.message"]}, event(), True),
    ("types wildcard across dots", {"types": ["m.*"]}, event("m.room.encrypted"), True),
    ("types lone wildcard", {"types": ["*"]}, event("org.example"), True),
    ("types several patterns", {"types": ["m.reaction", "m.room.mess*"]}, event(), True),
    ("types are case sensitive", {"types": ["M.ROOM.MESSAGE"]}, event(), False),
    ("types prefix without wildcard", {"types": ["m.room"]}, event(), False),
    ("'?' is not a wildcard", {"types": ["m.room.messag?"]}, event(), False),
    ("'?' matches itself", {"types": ["org.example?"]}, event("org.example?"), True),
    ("'[' is not a character class", {"types": ["m.room.[m]essage"]}, event(), False),
    ("'[' matches itself", {"types": ["org.[x]"]}, event("org.[x]"), True),
    ("'.' is not a regex wildcard", {"types": ["m.room.messag."]}, event("m.room.message"), False),
    ("not_types excludes", {"not_types": ["m.room.message"]}, event(), False),
    ("not_types other", {"not_types": ["m.room.member"]}, event(), True),
    ("not_types wildcard", {"not_types": ["m.room.*"]}, event("m.room.name"), False),
    ("not_types beats types", {"types": ["m.room.message"], "not_types": ["m.room.message"]}, event(), False),
    ("not_types wildcard beats types", {"types": ["m.room.message"], "not_types": ["*"]}, event(), False),
    ("not_types empty excludes nothing", {"not_types": []}, event(), True),
    ("senders includes", {"senders": [ALICE]}, event(), True),
    ("senders other", {"senders": [BOB]}, event(), False),
    ("senders empty list matches nothing", {"senders": []}, event(), False),
    ("senders are not patterns", {"senders": ["@alice:*"]}, event(), False),
    ("not_senders excludes", {"not_senders": [ALICE]}, event(), False),
    ("not_senders beats senders", {"senders": [ALICE], "not_senders": [ALICE]}, event(), False),
    ("not_senders other", {"not_senders": [BOB]}, event(), True),
    ("rooms includes", {"rooms": [ROOM_A]}, event(), True),
    ("rooms other", {"rooms": [ROOM_B]}, event(), False),
    ("not_rooms excludes", {"not_rooms": [ROOM_A]}, event(), False),
    ("not_rooms beats rooms", {"rooms": [ROOM_A], "not_rooms": [ROOM_A]}, event(), False),
    ("room filters ignore room-less events", {"rooms": [ROOM_B]}, event(room_id=None), True),
    ("contains_url true, has url", {"contains_url": True}, event(url="mxc://hs/x"), True),
    ("contains_url true, no url", {"contains_url": True}, event(body="x"), False),
    ("contains_url false, has url", {"contains_url": False}, event(url="mxc://hs/x"), False),
    ("contains_url false, no url", {"contains_url": False}, event(body="x"), True),
    ("contains_url omitted, has url", {}, event(url="mxc://hs/x"), True),
    ("contains_url true, url not a string", {"contains_url": True}, event(url=5), False),
    ("all conditions together", {"types": ["m.*"], "senders": [ALICE], "rooms": [ROOM_A]}, event(), True),
    ("one condition fails", {"types": ["m.*"], "senders": [ALICE], "rooms": [ROOM_B]}, event(), False),
]


@pytest.mark.parametrize(
    ("definition", "candidate", "expected"),
    [pytest.param(definition, candidate, expected, id=what) for what, definition, candidate, expected in MATCH_ROWS],
)
def test_event_filter_matching(definition: dict[str, Any], candidate: dict[str, Any], expected: bool) -> None:
    assert EventFilter.parse(definition).matches(candidate) is expected


@pytest.mark.parametrize(
    ("definition", "blocks"),
    [({}, False), ({"types": []}, True), ({"limit": 0}, True), ({"types": ["*"], "limit": 1}, False)],
)
def test_blocks_everything(definition: dict[str, Any], blocks: bool) -> None:
    assert EventFilter.parse(definition).blocks_everything is blocks


def test_room_filter_allows_room() -> None:
    room = SyncFilter.parse({"room": {"rooms": [ROOM_A, ROOM_B], "not_rooms": [ROOM_B]}}).room
    assert room.allows_room(ROOM_A)
    assert not room.allows_room(ROOM_B)
    assert not room.allows_room("!c:hs.example")
    assert SyncFilter().room.allows_room("!c:hs.example")
    assert not SyncFilter.parse({"room": {"not_rooms": [ROOM_A]}}).room.allows_room(ROOM_A)


# ---------------------------------------------------------------------------------------------------------------
# Type patterns: a linear-time glob, and bounded lists
# ---------------------------------------------------------------------------------------------------------------


def test_glob_agrees_with_a_reference_matcher_on_random_inputs() -> None:
    import random
    import re

    from chancery.events.filters import compile_glob, glob_matches

    rng = random.Random(1216)
    for _ in range(20_000):
        pattern = "".join(rng.choice("ab*.") for _ in range(rng.randint(0, 7)))
        text = "".join(rng.choice("ab.") for _ in range(rng.randint(0, 9)))
        # The reference: the regular expression the spec's wording describes (safe on inputs this small).
        reference = re.fullmatch(".*".join(re.escape(part) for part in pattern.split("*")), text, re.DOTALL)
        assert glob_matches(compile_glob(pattern), text) is (reference is not None), (pattern, text)


def test_a_crafted_pattern_against_a_long_type_answers_at_once() -> None:
    import time

    crafted = EventFilter.parse({"types": ["a*" * 127 + "b"], "not_types": ["*a*" * 84 + "c"]})
    long_type = event("a" * 255)
    started = time.perf_counter()
    for _ in range(100):
        assert crafted.matches(long_type) is False
    # A backtracking regex needs astronomically long for one match; the glob a fraction of a millisecond.
    assert time.perf_counter() - started < 5.0


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param({"types": ["m.room.message"] * 101}, id="too-many-types"),
        pytest.param({"not_types": ["x"] * 101}, id="too-many-not_types"),
        pytest.param({"types": ["a" * 256]}, id="type-too-long"),
        pytest.param({"senders": [ALICE] * 1001}, id="too-many-senders"),
        pytest.param({"not_senders": ["@" + "a" * 255]}, id="sender-too-long"),
        pytest.param({"rooms": [ROOM_A] * 1001}, id="too-many-rooms"),
    ],
)
def test_filter_lists_are_bounded(raw: dict[str, Any]) -> None:
    with pytest.raises(MatrixError) as raised:
        EventFilter.parse(raw)
    assert (raised.value.status, raised.value.errcode) == (400, "M_BAD_JSON")
    with pytest.raises(MatrixError):
        validate_filter_definition({"room": {"timeline": raw}})


def test_filters_real_clients_send_fit_the_bounds() -> None:
    types = ["m.room.message", "m.room.encrypted", "m.sticker", "m.call.*", "org.matrix.msc3401.call.member"]
    parsed = EventFilter.parse({"types": types * 20, "not_types": ["m.room.member"], "senders": [ALICE] * 1000})
    assert parsed.matches(event("m.call.invite"))
    assert not parsed.matches(event("m.room.member"))
