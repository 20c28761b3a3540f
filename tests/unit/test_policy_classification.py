"""Classification policy decisions, table-driven: levels, caveats, expiry, lowering, export, devices, externals."""

from __future__ import annotations

from typing import Any

import pytest

from chancery.config import ConfigError
from chancery.config.classification import ClassificationConfig
from chancery.policy.classification import (
    DIRECT,
    RESTRICTED,
    UNRESTRICTED,
    Clearance,
    Marking,
    Scheme,
    access_rule_of,
    may_admit_external,
    may_change,
    may_change_access_rule,
    may_create_room,
    may_export_into,
    may_give_power,
    may_hold,
    may_read_on_device,
    parse_marking,
)
from chancery.policy.decision import ALLOW, Decision
from chancery.policy.invite_permission import may_invite
from chancery.services.classification.room_rules import local_mxc_ids

SCHEME = Scheme(
    ("OFFICIAL", "RESTRICTED", "CONFIDENTIAL", "SECRET"),
    frozenset({"NATO", "EU"}),
    "OFFICIAL",
    "RESTRICTED",
)
NOW = 1_000_000


def reason(decision: Decision) -> str | None:
    return None if decision.allowed else decision.reason


@pytest.mark.parametrize(
    ("clearance", "marking", "expected"),
    [
        (None, None, None),
        (None, Marking("OFFICIAL"), "clearance"),
        (Clearance("OFFICIAL"), Marking("OFFICIAL"), None),
        (Clearance("SECRET"), Marking("OFFICIAL"), None),
        (Clearance("RESTRICTED"), Marking("CONFIDENTIAL"), "clearance"),
        (Clearance("SECRET", frozenset({"NATO"})), Marking("SECRET", frozenset({"NATO"})), None),
        (Clearance("SECRET", frozenset({"NATO"})), Marking("SECRET", frozenset({"NATO", "EU"})), "caveat"),
        (Clearance("SECRET"), Marking("OFFICIAL", frozenset({"EU"})), "caveat"),
        (Clearance("SECRET", frozenset({"NATO", "EU"})), Marking("OFFICIAL", frozenset({"EU"})), None),
        (Clearance("SECRET", expires_ts=NOW), Marking("OFFICIAL"), "expired"),
        (Clearance("SECRET", expires_ts=NOW + 1), Marking("OFFICIAL"), None),
        (Clearance("SECRET", expires_ts=NOW - 1), None, None),
        # A level the scheme no longer knows fails closed, on either side.
        (Clearance("SECRET"), Marking("TOP SECRET"), "clearance"),
        (Clearance("COSMIC"), Marking("OFFICIAL"), "clearance"),
    ],
)
def test_may_hold(clearance: Clearance | None, marking: Marking | None, expected: str | None) -> None:
    assert reason(may_hold(SCHEME, clearance, marking, NOW)) == expected


@pytest.mark.parametrize(
    ("old", "new", "officer", "expected"),
    [
        (None, Marking("SECRET"), False, None),
        (Marking("OFFICIAL"), Marking("SECRET"), False, None),
        (Marking("SECRET"), Marking("SECRET", frozenset({"EU"})), False, None),
        (Marking("SECRET"), Marking("SECRET", handling="Eyes only"), False, None),
        (Marking("SECRET"), Marking("OFFICIAL"), False, "lower"),
        (Marking("SECRET", frozenset({"EU"})), Marking("SECRET"), False, "lower"),
        (Marking("SECRET", frozenset({"EU"})), Marking("SECRET", frozenset({"NATO"})), False, "lower"),
        (Marking("SECRET"), Marking("OFFICIAL"), True, None),
    ],
)
def test_may_change(old: Marking | None, new: Marking, officer: bool, expected: str | None) -> None:
    assert reason(may_change(SCHEME, old, new, security_officer=officer, sender_cleared=ALLOW)) == expected


def test_nobody_labels_a_room_above_their_own_clearance() -> None:
    sender = may_hold(SCHEME, Clearance("RESTRICTED"), Marking("SECRET"), NOW)
    decision = may_change(SCHEME, Marking("OFFICIAL"), Marking("SECRET"), security_officer=True, sender_cleared=sender)
    assert reason(decision) == "clearance"


@pytest.mark.parametrize(
    ("content", "valid"),
    [
        ({"level": "SECRET"}, True),
        ({"level": "SECRET", "caveats": ["NATO"], "handling": "UK eyes only"}, True),
        ({"level": "TOP SECRET"}, False),
        ({"level": 3}, False),
        ({}, False),
        ({"level": "SECRET", "caveats": ["FVEY"]}, False),
        ({"level": "SECRET", "caveats": "NATO"}, False),
        ({"level": "SECRET", "caveats": ["NATO", "NATO"]}, False),
        ({"level": "SECRET", "handling": 5}, False),
        ({"level": "SECRET", "handling": "x" * 1001}, False),
    ],
)
def test_parse_marking(content: dict[str, Any], valid: bool) -> None:
    parsed = parse_marking(SCHEME, content)
    assert isinstance(parsed, Marking) is valid
    if not valid:
        assert isinstance(parsed, Decision) and parsed.status == 400 and parsed.errcode == "M_BAD_JSON"


@pytest.mark.parametrize(
    ("file", "room", "expected"),
    [
        (Marking("SECRET"), Marking("SECRET"), None),
        (Marking("RESTRICTED"), Marking("SECRET"), None),
        (Marking("SECRET"), Marking("RESTRICTED"), "export"),
        (Marking("SECRET"), None, "export"),
        (Marking("SECRET", frozenset({"EU"})), Marking("SECRET"), "export"),
        (Marking("OFFICIAL", frozenset({"EU"})), Marking("SECRET", frozenset({"EU", "NATO"})), None),
    ],
)
def test_may_export_into(file: Marking, room: Marking | None, expected: str | None) -> None:
    assert reason(may_export_into(SCHEME, file, room)) == expected


@pytest.mark.parametrize(
    ("marking", "accredited", "expected"),
    [
        (None, False, None),
        (Marking("OFFICIAL"), False, None),
        (Marking("RESTRICTED"), False, None),
        (Marking("CONFIDENTIAL"), False, "accreditation"),
        (Marking("CONFIDENTIAL"), True, None),
        (Marking("UNKNOWN"), False, "accreditation"),
    ],
)
def test_may_read_on_device(marking: Marking | None, accredited: bool, expected: str | None) -> None:
    assert reason(may_read_on_device(SCHEME, marking, accredited)) == expected


def test_no_device_needs_accreditation_without_a_threshold() -> None:
    scheme = Scheme(SCHEME.levels, SCHEME.caveats)
    assert may_read_on_device(scheme, Marking("SECRET"), False).allowed


def test_external_accounts() -> None:
    assert reason(may_create_room(external=True)) == "external"
    assert may_create_room(external=False).allowed
    assert reason(may_admit_external(RESTRICTED)) == "external"
    assert may_admit_external(UNRESTRICTED).allowed and may_admit_external(DIRECT).allowed
    assert reason(may_give_power(external=True, new_level=50, old_level=0)) == "external"
    assert may_give_power(external=True, new_level=0, old_level=50).allowed
    assert may_give_power(external=False, new_level=100, old_level=0).allowed
    assert access_rule_of(None) == RESTRICTED and access_rule_of({"rule": "odd"}) == RESTRICTED
    assert access_rule_of({"rule": UNRESTRICTED}) == UNRESTRICTED


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (None, DIRECT, None),
        (None, UNRESTRICTED, None),
        (RESTRICTED, UNRESTRICTED, None),
        (RESTRICTED, RESTRICTED, None),
        (UNRESTRICTED, RESTRICTED, "access_rule"),
        (RESTRICTED, DIRECT, "access_rule"),
        (DIRECT, UNRESTRICTED, "access_rule"),
        (RESTRICTED, "open", "invalid"),
    ],
)
def test_access_rule_transitions(old: str | None, new: str, expected: str | None) -> None:
    assert reason(may_change_access_rule(old, new)) == expected


def test_config_refuses_an_inconsistent_scheme() -> None:
    levels = [{"name": "OFFICIAL"}, {"name": "SECRET", "colour": "#c53030"}]
    config = ClassificationConfig.from_table({"levels": levels, "default_level": "OFFICIAL"})
    assert [level.name for level in config.levels] == ["OFFICIAL", "SECRET"]
    for bad in (
        {"levels": levels, "default_level": "TOP"},
        {"levels": levels, "accredited_devices_above": "TOP"},
        {"levels": [*levels, {"name": "SECRET"}]},
        {"levels": [{"name": "X", "colour": "red"}]},
        {"levels": [{"name": "X", "shade": "#fff"}]},
        {"caveats": ["NATO", "NATO"]},
    ):
        with pytest.raises(ConfigError):
            ClassificationConfig.from_table(bad)


@pytest.mark.parametrize(
    ("config", "blocked"),
    [(None, False), ({}, False), ({"default_action": "allow"}, False), ({"default_action": "block"}, True)],
)
def test_invite_permission(config: dict[str, Any] | None, blocked: bool) -> None:
    decision = may_invite(config)
    assert decision.allowed is not blocked
    if blocked:
        assert (decision.status, decision.errcode) == (403, "M_INVITE_BLOCKED")


def test_the_files_an_event_points_at() -> None:
    content = {
        "url": "mxc://here/a",
        "file": {"url": "mxc://here/b"},
        "info": {"thumbnail_url": "mxc://elsewhere/c", "thumbnail_file": {"url": "mxc://here/d"}},
        "body": "mxc://here/not-a-reference",
    }
    assert local_mxc_ids(content, "here") == ["a", "b", "d"]
    assert local_mxc_ids({"url": 5, "info": "x", "file": []}, "here") == []
