"""Push-rule evaluation (client-server API: push rules, conditions and the default rules)."""

from __future__ import annotations

import time
from typing import Any

from chancery.events.push_evaluator import RoomFacts, glob_matches, highlights, notifies, push_actions
from chancery.services.push.rules import merge_rules

ME = "@me:gov.example"
EMPTY_EDITS: dict[str, Any] = {"custom": {}, "defaults": {}}


def facts(**changes: Any) -> RoomFacts:
    values: dict[str, Any] = {
        "user_id": ME,
        "display_name": "Ada Lovelace",
        "member_count": 5,
        "sender_power": 0,
        "notification_levels": {"room": 50},
    }
    values.update(changes)
    return RoomFacts(**values)


def message(body: str = "hello", **content: Any) -> dict[str, Any]:
    return {
        "type": "m.room.message",
        "room_id": "!room:gov.example",
        "sender": "@other:gov.example",
        "content": {"msgtype": "m.text", "body": body, **content},
    }


def defaults(edits: dict[str, Any] = EMPTY_EDITS) -> dict[str, Any]:
    return dict(merge_rules(ME, edits)["global"])


def test_default_rules_notify_messages_and_highlight_mentions() -> None:
    actions = push_actions(defaults(), message(), facts())
    assert notifies(actions) and not highlights(actions)
    mention = message("hi", **{"m.mentions": {"user_ids": [ME]}})
    assert highlights(push_actions(defaults(), mention, facts()))
    assert push_actions(defaults(), message(msgtype="m.notice"), facts()) == []


def test_room_mentions_need_the_senders_power() -> None:
    everyone = message("all", **{"m.mentions": {"room": True}})
    assert not highlights(push_actions(defaults(), everyone, facts(sender_power=0)))
    assert highlights(push_actions(defaults(), everyone, facts(sender_power=50)))


def test_one_to_one_rooms_ring_with_a_sound() -> None:
    actions = push_actions(defaults(), message(), facts(member_count=2))
    assert {"set_tweak": "sound", "value": "default"} in actions


def test_edits_are_suppressed_by_their_escaped_key() -> None:
    edit = message("* fixed", **{"m.relates_to": {"rel_type": "m.replace", "event_id": "$x"}})
    assert push_actions(defaults(), edit, facts()) == []


def test_master_rule_room_and_sender_rules_silence() -> None:
    master = {"custom": {}, "defaults": {"override/.m.rule.master": {"enabled": True}}}
    assert push_actions(defaults(master), message(), facts()) == []
    muted_room = {
        "custom": {"room": [{"rule_id": "!room:gov.example", "enabled": True, "actions": []}]},
        "defaults": {},
    }
    assert push_actions(defaults(muted_room), message(), facts()) == []
    muted_sender = {
        "custom": {"sender": [{"rule_id": "@other:gov.example", "enabled": True, "actions": []}]},
        "defaults": {},
    }
    assert push_actions(defaults(muted_sender), message(), facts()) == []
    disabled = {
        "custom": {"sender": [{"rule_id": "@other:gov.example", "enabled": False, "actions": []}]},
        "defaults": {},
    }
    assert notifies(push_actions(defaults(disabled), message(), facts()))


def test_keyword_rules_match_whole_words_case_insensitively() -> None:
    keyword = {
        "custom": {
            "content": [
                {
                    "rule_id": "budget",
                    "enabled": True,
                    "pattern": "Budget",
                    "actions": ["notify", {"set_tweak": "highlight"}],
                }
            ]
        },
        "defaults": {},
    }
    assert highlights(push_actions(defaults(keyword), message("the BUDGET is due"), facts()))
    assert not highlights(push_actions(defaults(keyword), message("budgetary matters"), facts()))


def test_conditions() -> None:
    rule = {
        "rule_id": "x",
        "enabled": True,
        "actions": ["notify"],
        "conditions": [
            {"kind": "event_match", "key": "content.body", "pattern": "re?ort*"},
            {"kind": "event_property_contains", "key": "content.tags", "value": "urgent"},
            {"kind": "room_member_count", "is": ">=3"},
            {"kind": "contains_display_name"},
        ],
    }
    rules = {"override": [rule]}
    event = message("report for Ada Lovelace", tags=["urgent"])
    assert push_actions(rules, event, facts()) == ["notify"]
    assert push_actions(rules, event, facts(member_count=2)) == []
    assert push_actions(rules, message("report for Ada", tags=["urgent"]), facts()) == []
    assert push_actions(rules, message("report for Ada Lovelace", tags=["later"]), facts()) == []
    unknown = {"override": [{**rule, "conditions": [{"kind": "org.example.future"}]}]}
    assert push_actions(unknown, event, facts()) == []


def test_property_is_compares_json_values_exactly() -> None:
    rule = {"rule_id": "x", "enabled": True, "actions": ["notify"]}
    event = message(flag=True, count=1)
    is_true = {
        "override": [{**rule, "conditions": [{"kind": "event_property_is", "key": "content.flag", "value": True}]}]
    }
    one_is_not_true = {
        "override": [{**rule, "conditions": [{"kind": "event_property_is", "key": "content.count", "value": True}]}]
    }
    assert push_actions(is_true, event, facts()) == ["notify"]
    assert push_actions(one_is_not_true, event, facts()) == []


def test_globs() -> None:
    assert glob_matches("m.room.*", "m.room.message")
    assert glob_matches("*", "")
    assert glob_matches("a?c", "abc") and not glob_matches("a?c", "abbc")
    assert glob_matches("a*b*c", "aXbYc") and not glob_matches("a*b*c", "aXcYb")
    assert not glob_matches("abc", "abcd")


def test_a_crafted_glob_takes_linear_time() -> None:
    text = "a" * 100_000
    started = time.monotonic()
    assert not glob_matches("a*" * 100 + "b", text)
    assert not glob_matches("*a?" * 50 + "b", text)
    assert not glob_matches("*" + "a?" * 100 + "b*", text)  # `?` pieces: bounded checking
    assert time.monotonic() - started < 1.0
