"""Sliding sync request parsing and required_state matching (events/sliding_sync.py), without a server."""

from __future__ import annotations

import pytest

from chancery.errors import MatrixError
from chancery.events.sliding_sync import RequiredState, RoomConfig, parse_request, parse_required_state

ME = "@me:example.org"


def rs(value: object) -> RequiredState:
    return parse_required_state(value, "test")


def test_wildcards_me_and_exact_pairs() -> None:
    state = rs([["m.room.member", "$ME"], ["m.room.name", "*"], ["*", "only"]])
    assert state.matches("m.room.member", ME, ME) and not state.matches("m.room.member", "@other:x", ME)
    assert state.matches("m.room.name", "", ME) and state.matches("m.room.name", "other", ME)
    assert state.matches("anything", "only", ME) and not state.matches("anything", "", ME)
    assert not state.lazy_members and not state.all_members


def test_lazy_members_unless_all_members_are_asked_for() -> None:
    assert rs([["m.room.member", "$LAZY"]]).lazy_members
    assert not rs([["m.room.member", "$LAZY"], ["m.room.member", "*"]]).lazy_members
    assert not rs([["m.room.member", "$LAZY"], ["*", "*"]]).lazy_members
    assert not rs([["m.room.member", "$LAZY"]]).matches("m.room.member", ME, ME)


def test_the_msc_object_shape_with_exclude_and_lazy_members() -> None:
    state = rs({"include": [{}], "exclude": [{"type": "m.room.topic"}], "lazy_members": True})
    assert state.matches("m.room.name", "", ME) and not state.matches("m.room.topic", "", ME)
    assert state.lazy_members and not state.matches("m.room.member", ME, ME)
    named = rs({"include": [{}, {"type": "m.room.member", "state_key": "$ME"}], "lazy_members": True})
    assert named.matches("m.room.member", ME, ME) and not named.matches("m.room.member", "@other:x", ME)


def test_combining_room_configs_is_a_superset() -> None:
    a = RoomConfig(1, rs([["m.room.name", ""]]))
    b = RoomConfig(10, rs([["m.room.topic", ""], ["m.room.member", "$LAZY"]]))
    combined = a.combine(b)
    assert combined.timeline_limit == 10
    assert combined.required_state.matches("m.room.name", "", ME)
    assert combined.required_state.matches("m.room.topic", "", ME) and combined.required_state.lazy_members
    mixed = rs({"include": [{"type": "m.room.name"}], "lazy_members": True}).union(rs([["m.room.member", "*"]]))
    assert mixed.matches("m.room.topic", "", ME) and mixed.all_members  # broader, never narrower


def test_canonical_form_round_trips() -> None:
    for state in (rs([["*", "*"], ["m.room.member", "$LAZY"]]), rs({"include": [{}], "lazy_members": True}), rs([])):
        assert RequiredState.from_canonical(state.canonical()) == state


def test_ranges_filters_and_limits() -> None:
    request = parse_request(
        {
            "conn_id": "room-list",
            "lists": {"a": {"ranges": [[0, 19], [50, 60]], "timeline_limit": 500, "filters": {"is_invited": True}}},
            "room_subscriptions": {"!r:x": {"timeline_limit": 3}},
        }
    )
    listed = request.lists["a"]
    assert listed.covers(19) and not listed.covers(20) and listed.covers(55)
    assert listed.config.timeline_limit == 100  # capped
    assert listed.filters.is_invite is True
    assert request.subscriptions["!r:x"].timeline_limit == 3
    assert parse_request({"lists": {"b": {"range": [2, 4]}}}).lists["b"].ranges == ((2, 4),)
    assert parse_request({"lists": {"c": {}}}).lists["c"].ranges is None


@pytest.mark.parametrize(
    "body",
    [
        {"lists": {"a": {"ranges": [[3, 1]]}}},
        {"lists": {"a": {"ranges": [[0, True]]}}},
        {"lists": {"": {}}},
        {"lists": {"a": {"required_state": [["only-one"]]}}},
        {"lists": {"a": {"required_state": {"include": [{"type": 5}]}}}},
        {"lists": {"a": {"filters": {"room_types": [5]}}}},
        {"lists": {"a": {"filters": {"spaces": "!s:x"}}}},
        {"room_subscriptions": {"!r:x": []}},
        {"extensions": {"typing": True}},
    ],
)
def test_bad_requests_are_matrix_errors(body: dict[str, object]) -> None:
    with pytest.raises(MatrixError) as caught:
        parse_request(body)
    assert caught.value.status == 400
