"""Table-driven authorisation rule tests for room versions 1 to 12 (spec: rooms/v1..v12 "Authorisation rules").

Rows name the rule they exercise in room version 12 numbering (the newest), or in room version 1 numbering
("v1:4.2") for the two rules later versions dropped: v1-v5 rule 4 (`m.room.aliases`) and v1-v2 rule 11
(`m.room.redaction`). `rule_in` translates a number into each version's own, which test IDs show ("none" where
that version has no such rule and the row checks what the other rules decide instead). Rule 3 (checks on the
event's `auth_events`) needs the event graph and is not part of `check_auth`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from chancery.events.auth_rules import AuthError, auth_event_keys, check_auth
from chancery.events.power_levels import INFINITE, StateMap, action_level, parse_level, user_power_level
from chancery.events.room_versions import ROOM_VERSIONS

VERSIONS = tuple(str(n) for n in range(1, 13))
HS = "hs.example"
ALICE = f"@alice:{HS}"  # sender of m.room.create
BOB = f"@bob:{HS}"  # power 100 (not a creator)
CAROL = f"@carol:{HS}"  # power 50, a moderator
DAVE = f"@dave:{HS}"  # power 0
ERIN = f"@erin:{HS}"  # power 50, same as Carol
EVE = f"@eve:{HS}"  # not in the room
ZOE = f"@zoe:{HS}"  # listed in additional_creators (a creator only in v12)
REMOTE = "@remote:other.example"
CREATE_ID = "$create-event-id"
REMOVE = object()  # marks a power-levels key to delete in a row's changes


def since(first: int) -> dict[str, bool]:
    """Allowed from room version `first` on, refused before."""
    return {version: int(version) >= first for version in VERSIONS}


def before(first: int) -> dict[str, bool]:
    """Allowed before room version `first`, refused from it on."""
    return {version: int(version) < first for version in VERSIONS}


def versions_from(first: int, last: int = 12) -> tuple[str, ...]:
    return tuple(version for version in VERSIONS if first <= int(version) <= last)


PRE_V11 = versions_from(1, 10)
PRE_V12 = versions_from(1, 11)


def rule_in(version: str, rule: str) -> str | None:
    """Translate a rule number (v12 numbering, or "v1:..." for rules v12 no longer has) to the numbering of
    `version`; None where that version has no such rule."""
    n = int(version)
    if rule.startswith("v1:"):
        v1_rule = rule[3:]
        # Rule 4 (m.room.aliases) went in v6, rule 11 (m.room.redaction) in v3.
        last = 5 if v1_rule.split(".")[0] == "4" else 2
        return v1_rule if n <= last else None
    parts = [int(part) for part in rule.split(".")]
    top = parts[0]
    if top == 2 and n < 12:
        return None
    if top == 5 and len(parts) > 1 and n < 8:
        # Before v8: no rule 5.2 (join_authorised_via_users_server) nor 5.3.5 (restricted); before v7 no knock.
        if parts[1] == 2 or (parts[1] == 3 and len(parts) > 2 and parts[2] == 5) or (parts[1] == 7 and n < 7):
            return None
        if parts[1] == 3 and len(parts) > 2 and parts[2] > 5:
            parts[2] -= 1
        if parts[1] >= 3:
            parts[1] -= 1 if parts[1] < 8 or n >= 7 else 2
    if top == 10 and len(parts) > 1 and n < 12:
        # v12 added 10.4 (creators); v10 added 10.1 and 10.2 (integer types).
        if parts[1] == 4 or (n < 10 and parts[1] in (1, 2)):
            return None
        if parts[1] > 4:
            parts[1] -= 1
        if n < 10:
            parts[1] -= 2
    if n < 12 and top >= 3:
        # v12 inserted rule 2; v1-v5 had rule 4 (aliases) and v1-v2 rule 11 (redaction) besides.
        parts[0] = top - 1 if n >= 6 or top <= 4 else top
        if n <= 2 and top == 11:
            parts[0] = 12
    return ".".join(str(part) for part in parts)


def room_id_for(version: str) -> str:
    return "!" + CREATE_ID[1:] if version == "12" else f"!room:{HS}"


STANDARD_USERS = {BOB: 100, CAROL: 50, ERIN: 50, DAVE: 0}
STANDARD_POWER: dict[str, Any] = {
    "users": STANDARD_USERS,
    "users_default": 0,
    "events_default": 0,
    "state_default": 50,
    "ban": 50,
    "kick": 50,
    "redact": 50,
    "invite": 0,
    "events": {"m.room.name": 50, "m.room.power_levels": 50, "m.room.tombstone": 100},
    "notifications": {"room": 50},
}
STANDARD_MEMBERS = {ALICE: "join", BOB: "join", CAROL: "join", ERIN: "join", DAVE: "join"}


def power(**changes: Any) -> dict[str, Any]:
    """The standard power levels with some keys changed (or removed with REMOVE)."""
    content = {**STANDARD_POWER, **changes}
    return {key: value for key, value in content.items() if value is not REMOVE}


def users(**changes: Any) -> dict[str, Any]:
    """The standard `users` map with entries changed (user_id keys via the names below) or removed."""
    names = {"bob": BOB, "carol": CAROL, "dave": DAVE, "erin": ERIN, "eve": EVE, "zoe": ZOE, "alice": ALICE}
    out: dict[str, Any] = dict(STANDARD_USERS)
    for name, value in changes.items():
        if value is REMOVE:
            out.pop(names[name], None)
        else:
            out[names[name]] = value
    return out


def for_version(content: Mapping[str, Any], version: str) -> dict[str, Any]:
    """Before v12 the creator's 100 is an ordinary `users` entry; v12 forbids listing creators there."""
    out = dict(content)
    if version != "12" and isinstance(out.get("users"), dict) and ALICE not in out["users"]:
        out["users"] = {ALICE: 100, **out["users"]}
    return out


@dataclass(frozen=True)
class Room:
    """The room state before the event under test."""

    members: Mapping[str, str] = field(default_factory=lambda: dict(STANDARD_MEMBERS))
    join_rule: str | None = "public"
    join_allow: tuple[dict[str, Any], ...] = ()
    power_levels: Mapping[str, Any] | None = field(default_factory=lambda: dict(STANDARD_POWER))
    additional_creators: tuple[str, ...] = ()
    create_extra: Mapping[str, Any] = field(default_factory=dict)

    def with_members(self, **updates: str) -> Room:
        users = {"alice": ALICE, "bob": BOB, "carol": CAROL, "dave": DAVE, "erin": ERIN, "eve": EVE, "zoe": ZOE}
        members = dict(self.members)
        for name, membership in updates.items():
            members[users[name]] = membership
        return dataclasses.replace(self, members=members)

    def state(self, version: str) -> dict[tuple[str, str], dict[str, Any]]:
        room_id = room_id_for(version)

        def state_event(event_type: str, state_key: str, sender: str, content: dict[str, Any]) -> dict[str, Any]:
            return {
                "type": event_type,
                "state_key": state_key,
                "sender": sender,
                "content": content,
                "room_id": room_id,
                "event_id": f"${event_type}-{state_key}",
            }

        create_content: dict[str, Any] = {"room_version": version}
        if int(version) <= 10:
            create_content["creator"] = ALICE
        if self.additional_creators:
            create_content["additional_creators"] = list(self.additional_creators)
        create_content.update(self.create_extra)
        create = state_event("m.room.create", "", ALICE, create_content)
        create["event_id"] = CREATE_ID
        state = {("m.room.create", ""): create}
        if self.power_levels is not None:
            state[("m.room.power_levels", "")] = state_event(
                "m.room.power_levels", "", ALICE, for_version(self.power_levels, version)
            )
        if self.join_rule is not None:
            rules: dict[str, Any] = {"join_rule": self.join_rule}
            if self.join_allow:
                rules["allow"] = list(self.join_allow)
            state[("m.room.join_rules", "")] = state_event("m.room.join_rules", "", ALICE, rules)
        for user, membership in self.members.items():
            state[("m.room.member", user)] = state_event("m.room.member", user, user, {"membership": membership})
        return state


STANDARD = Room()
WITH_ZOE = Room(additional_creators=(ZOE,)).with_members(zoe="join")


def member(sender: str, target: str, membership: str | None, **content: Any) -> dict[str, Any]:
    body = dict(content) if membership is None else {"membership": membership, **content}
    return {"type": "m.room.member", "sender": sender, "state_key": target, "content": body}


def send(
    sender: str, event_type: str = "m.room.message", state_key: str | None = None, **content: Any
) -> dict[str, Any]:
    event: dict[str, Any] = {"type": event_type, "sender": sender, "content": content}
    if state_key is not None:
        event["state_key"] = state_key
    return event


def set_power(sender: str, content: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "m.room.power_levels", "sender": sender, "state_key": "", "content": dict(content)}


@dataclass(frozen=True)
class Row:
    rule: str  # v12 numbering
    what: str
    room: Room
    event: dict[str, Any]
    allowed: bool | Mapping[str, bool]  # one answer, or one per room version
    versions: tuple[str, ...] = VERSIONS


def _authorise(row_event: dict[str, Any], room: Room, version: str) -> None:
    event = dict(row_event)
    event.setdefault("room_id", room_id_for(version))
    event.setdefault("event_id", f"$event-under-test:{HS}")
    event.setdefault("prev_events", ["$previous"])
    if event["type"] == "m.room.power_levels":
        event["content"] = for_version(event["content"], version)
    check_auth(event, room.state(version), ROOM_VERSIONS[version])


def rule_label(version: str, rule: str) -> str:
    number = rule_in(version, rule)
    return number if number is not None else f"none({rule})"


def _params(rows: list[Row]) -> list[Any]:
    params = []
    for row in rows:
        for version in row.versions:
            allowed = row.allowed if isinstance(row.allowed, bool) else row.allowed[version]
            verdict = "allow" if allowed else "reject"
            rule_id = f"v{version}-rule{rule_label(version, row.rule)}-{row.what}-{verdict}"
            params.append(pytest.param(row, version, allowed, id=rule_id.replace(" ", "_")))
    return params


def _run(row: Row, version: str, allowed: bool) -> None:
    if allowed:
        _authorise(row.event, row.room, version)
    else:
        with pytest.raises(AuthError):
            _authorise(row.event, row.room, version)


# ---------------------------------------------------------------------------------------------------------------
# Rule 1: m.room.create
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreateRow:
    rule: str
    what: str
    changes: Mapping[str, Any]  # top-level changes to a well-formed create event; content via "content"
    allowed: bool
    versions: tuple[str, ...] = VERSIONS


def _create_event(version: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    content: dict[str, Any] = {"room_version": version}
    if int(version) <= 10:
        content["creator"] = ALICE
    event: dict[str, Any] = {
        "type": "m.room.create",
        "sender": ALICE,
        "state_key": "",
        "content": content,
        "prev_events": [],
        "auth_events": [],
        "event_id": CREATE_ID,
    }
    if version != "12":
        event["room_id"] = f"!room:{HS}"
    for key, value in changes.items():
        if key == "content":
            content.update(value)
            for removed in [k for k, v in content.items() if v is REMOVE]:
                del content[removed]
        elif value is REMOVE:
            event.pop(key, None)
        else:
            event[key] = value
    return event


CREATE_ROWS = [
    CreateRow("1.5", "well formed", {}, True),
    CreateRow("1.1", "has prev_events", {"prev_events": ["$earlier"]}, False),
    CreateRow("1.1", "empty prev_events", {"prev_events": []}, True),
    CreateRow("1.2", "room_id domain is the sender's", {"room_id": f"!abc:{HS}"}, True, PRE_V12),
    CreateRow("1.2", "room_id domain differs from the sender's", {"room_id": "!abc:other.example"}, False, PRE_V12),
    CreateRow("1.2", "no room_id", {}, True, ("12",)),
    CreateRow("1.2", "has a room_id", {"room_id": "!chosen:hs.example"}, False, ("12",)),
    CreateRow("1.2", "has a room_id but no event_id", {"room_id": "!x", "event_id": REMOVE}, False, ("12",)),
    CreateRow("1.3", "unknown room_version", {"content": {"room_version": "9999"}}, False),
    CreateRow("1.3", "non-string room_version", {"content": {"room_version": 12}}, False),
    CreateRow("1.3", "room_version absent", {"content": {"room_version": REMOVE}}, True),
    CreateRow("1.3", "another recognised room_version", {"content": {"room_version": "11"}}, True),
    CreateRow("1.4", "no creator property", {"content": {"creator": REMOVE}}, False, PRE_V11),
    CreateRow("1.4", "no creator property needed", {}, True, ("11", "12")),
    CreateRow("1.4", "additional_creators valid", {"content": {"additional_creators": [BOB, REMOTE]}}, True),
    CreateRow("1.4", "additional_creators empty", {"content": {"additional_creators": []}}, True),
    CreateRow("1.4", "additional_creators not a list", {"content": {"additional_creators": BOB}}, False, ("12",)),
    CreateRow("1.4", "additional_creators non-string", {"content": {"additional_creators": [BOB, 7]}}, False, ("12",)),
    CreateRow("1.4", "additional_creators bad user ID", {"content": {"additional_creators": ["bob"]}}, False, ("12",)),
    CreateRow("1.4", "additional_creators no server", {"content": {"additional_creators": ["@bob"]}}, False, ("12",)),
    # Before v12 additional_creators means nothing to the auth rules.
    CreateRow("1.5", "additional_creators ignored", {"content": {"additional_creators": 5}}, True, PRE_V12),
]


@pytest.mark.parametrize(
    ("row", "version"),
    [
        pytest.param(row, version, id=f"v{version}-rule{row.rule}-{row.what}".replace(" ", "_"))
        for row in CREATE_ROWS
        for version in row.versions
    ],
)
def test_create_event_rules(row: CreateRow, version: str) -> None:
    event = _create_event(version, row.changes)
    if row.allowed:
        check_auth(event, {}, ROOM_VERSIONS[version])
    else:
        with pytest.raises(AuthError):
            check_auth(event, {}, ROOM_VERSIONS[version])


# ---------------------------------------------------------------------------------------------------------------
# Rules 2 and 4: the room and federation
# ---------------------------------------------------------------------------------------------------------------

ROOM_ROWS = [
    Row("2", "room_id is the create event ID", STANDARD, send(DAVE, body="hi"), True, ("12",)),
    Row("2", "room_id not the create event ID", STANDARD, {**send(DAVE), "room_id": "!other"}, False, ("12",)),
    Row("2", "old-style room_id", STANDARD, {**send(DAVE), "room_id": f"!room:{HS}"}, False, ("12",)),
    Row("4", "m.federate false, local sender", Room(create_extra={"m.federate": False}), send(DAVE), True),
    Row(
        "4",
        "m.federate false, remote sender",
        Room(create_extra={"m.federate": False}),
        member(REMOTE, REMOTE, "join"),
        False,
    ),
    Row(
        "4",
        "m.federate true, remote sender",
        Room(create_extra={"m.federate": True}),
        member(REMOTE, REMOTE, "join"),
        True,
    ),
    Row("4", "m.federate absent, remote sender", STANDARD, member(REMOTE, REMOTE, "join"), True),
]


@pytest.mark.parametrize(("row", "version", "allowed"), _params(ROOM_ROWS))
def test_room_rules(row: Row, version: str, allowed: bool) -> None:
    _run(row, version, allowed)


def test_event_in_room_without_create_event_is_rejected() -> None:
    for version in VERSIONS:
        state = STANDARD.state(version)
        del state[("m.room.create", "")]
        with pytest.raises(AuthError):
            check_auth({**send(DAVE), "room_id": room_id_for(version)}, state, ROOM_VERSIONS[version])


# ---------------------------------------------------------------------------------------------------------------
# Rule 5: m.room.member
# ---------------------------------------------------------------------------------------------------------------

EMPTY_ROOM = Room(members={}, join_rule=None, power_levels=None)
INVITE_ONLY = Room(join_rule="invite")
KNOCK = Room(join_rule="knock")
RESTRICTED_ALLOW = ({"type": "m.room_membership", "room_id": "!space:hs.example"},)
RESTRICTED = Room(join_rule="restricted", join_allow=RESTRICTED_ALLOW)
KNOCK_RESTRICTED = Room(join_rule="knock_restricted", join_allow=RESTRICTED_ALLOW)
INVITE_AT_50 = Room(power_levels=power(invite=50))
BANS_AT_75 = Room(power_levels=power(ban=75))
KICKS_AT_75 = Room(power_levels=power(kick=75))


def first_join(target: str, sender: str | None = None) -> dict[str, Any]:
    return {**member(sender or target, target, "join"), "prev_events": [CREATE_ID]}


MEMBER_ROWS = [
    # 5.1: shape
    Row(
        "5.1",
        "no state_key",
        STANDARD,
        {"type": "m.room.member", "sender": EVE, "content": {"membership": "join"}},
        False,
    ),
    Row("5.1", "no membership", STANDARD, member(EVE, EVE, None, displayname="Eve"), False),
    Row(
        "5.1",
        "non-string membership",
        STANDARD,
        {**member(EVE, EVE, "join"), "content": {"membership": ["join"]}},
        False,
    ),
    # 5.3: join
    Row("5.3.1", "creator's first join", EMPTY_ROOM, first_join(ALICE), True),
    Row("5.3.1", "non-creator first join to an empty room", EMPTY_ROOM, first_join(BOB), False),
    Row("5.3.1", "creator join after other events", EMPTY_ROOM, member(ALICE, ALICE, "join"), False),
    Row(
        "5.3.1",
        "creator join with two prev_events",
        EMPTY_ROOM,
        {**first_join(ALICE), "prev_events": [CREATE_ID, "$x"]},
        False,
    ),
    Row(
        "5.3.1",
        "additional creator is not the first joiner",
        Room(members={}, join_rule=None, power_levels=None, additional_creators=(ZOE,)),
        first_join(ZOE),
        False,
    ),
    Row("5.3.2", "join on behalf of another user", STANDARD, member(BOB, EVE, "join"), False),
    Row("5.3.3", "banned user joins a public room", STANDARD.with_members(eve="ban"), member(EVE, EVE, "join"), False),
    Row("5.3.4", "invite rule, not invited", INVITE_ONLY, member(EVE, EVE, "join"), False),
    Row("5.3.4", "invite rule, invited", INVITE_ONLY.with_members(eve="invite"), member(EVE, EVE, "join"), True),
    Row("5.3.4", "invite rule, already joined", INVITE_ONLY, member(DAVE, DAVE, "join", displayname="D"), True),
    Row("5.3.4", "invite rule, left earlier", INVITE_ONLY.with_members(eve="leave"), member(EVE, EVE, "join"), False),
    Row("5.3.4", "knock rule, knocked only", KNOCK.with_members(eve="knock"), member(EVE, EVE, "join"), False),
    # Before v7 `knock` is no join rule at all: nobody may join (rule "join 6"), invited or not.
    Row("5.3.4", "knock rule, invited", KNOCK.with_members(eve="invite"), member(EVE, EVE, "join"), since(7)),
    Row("5.3.4", "no join rules event means invite", Room(join_rule=None), member(EVE, EVE, "join"), False),
    # Before v8 `restricted` is no join rule at all: nobody may join, invited or not.
    Row("5.3.5.1", "restricted, invited", RESTRICTED.with_members(eve="invite"), member(EVE, EVE, "join"), since(8)),
    Row("5.3.5.1", "restricted, already joined", RESTRICTED, member(DAVE, DAVE, "join"), since(8)),
    Row("5.3.5.2", "restricted, no authorising user", RESTRICTED, member(EVE, EVE, "join"), False),
    Row(
        "5.3.5.3",
        "restricted, authorised by joined user who may invite",
        RESTRICTED,
        member(EVE, EVE, "join", join_authorised_via_users_server=DAVE),
        since(8),
    ),
    Row(
        "5.3.5.2",
        "restricted, authorising user not joined",
        RESTRICTED.with_members(dave="leave"),
        member(EVE, EVE, "join", join_authorised_via_users_server=DAVE),
        False,
    ),
    Row(
        "5.3.5.2",
        "restricted, authorising user lacks invite power",
        Room(join_rule="restricted", join_allow=RESTRICTED_ALLOW, power_levels=power(invite=50)),
        member(EVE, EVE, "join", join_authorised_via_users_server=DAVE),
        False,
    ),
    Row(
        "5.3.5.3",
        "restricted, authorising user has exactly the invite level",
        Room(join_rule="restricted", join_allow=RESTRICTED_ALLOW, power_levels=power(invite=50)),
        member(EVE, EVE, "join", join_authorised_via_users_server=CAROL),
        since(8),
    ),
    Row(
        "5.3.5.3",
        "knock_restricted, authorised",
        KNOCK_RESTRICTED,
        member(EVE, EVE, "join", join_authorised_via_users_server=BOB),
        since(10),
    ),
    Row("5.3.5.2", "knock_restricted, unauthorised", KNOCK_RESTRICTED, member(EVE, EVE, "join"), False),
    Row("5.3.6", "public", STANDARD, member(EVE, EVE, "join"), True),
    Row("5.3.6", "public, after leaving", STANDARD.with_members(eve="leave"), member(EVE, EVE, "join"), True),
    Row("5.3.7", "private join rule", Room(join_rule="private"), member(EVE, EVE, "join"), False),
    Row("5.3.7", "unknown join rule", Room(join_rule="org.example.open"), member(EVE, EVE, "join"), False),
    # 5.4: invite
    Row(
        "5.4.1.2",
        "third-party invite without signed",
        STANDARD,
        member(DAVE, EVE, "invite", third_party_invite={"display_name": "e"}),
        False,
    ),
    Row(
        "5.4.1.1",
        "third-party invite of a banned user",
        STANDARD.with_members(eve="ban"),
        member(DAVE, EVE, "invite", third_party_invite={"signed": {"mxid": EVE, "token": "t", "signatures": {}}}),
        False,
    ),
    Row(
        "5.4.1.5",
        "third-party invite with no matching m.room.third_party_invite",
        STANDARD,
        member(DAVE, EVE, "invite", third_party_invite={"signed": {"mxid": EVE, "token": "t", "signatures": {}}}),
        False,
    ),
    Row("5.4.2", "inviter not joined", STANDARD.with_members(dave="invite"), member(DAVE, EVE, "invite"), False),
    Row("5.4.2", "inviter left", STANDARD.with_members(dave="leave"), member(DAVE, EVE, "invite"), False),
    Row("5.4.3", "invitee already joined", STANDARD, member(BOB, DAVE, "invite"), False),
    Row("5.4.3", "invitee banned", STANDARD.with_members(eve="ban"), member(BOB, EVE, "invite"), False),
    Row("5.4.4", "default invite level 0", STANDARD, member(DAVE, EVE, "invite"), True),
    Row("5.4.4", "re-invite", STANDARD.with_members(eve="invite"), member(DAVE, EVE, "invite"), True),
    Row("5.4.4", "invitee left earlier", STANDARD.with_members(eve="leave"), member(DAVE, EVE, "invite"), True),
    Row("5.4.4", "invitee knocked", STANDARD.with_members(eve="knock"), member(DAVE, EVE, "invite"), True),
    Row("5.4.4", "sender at the invite level", INVITE_AT_50, member(CAROL, EVE, "invite"), True),
    Row("5.4.5", "sender below the invite level", INVITE_AT_50, member(DAVE, EVE, "invite"), False),
    # 5.5: leave, kick, unban
    Row("5.5.1", "joined user leaves", STANDARD, member(DAVE, DAVE, "leave"), True),
    Row("5.5.1", "invitee rejects", STANDARD.with_members(eve="invite"), member(EVE, EVE, "leave"), True),
    Row("5.5.1", "knock withdrawn", STANDARD.with_members(eve="knock"), member(EVE, EVE, "leave"), since(7)),
    Row("5.5.1", "never in the room", STANDARD, member(EVE, EVE, "leave"), False),
    Row("5.5.1", "left already", STANDARD.with_members(eve="leave"), member(EVE, EVE, "leave"), False),
    Row("5.5.1", "banned user unbans self", STANDARD.with_members(eve="ban"), member(EVE, EVE, "leave"), False),
    Row("5.5.2", "kicker not joined", STANDARD.with_members(bob="leave"), member(BOB, DAVE, "leave"), False),
    Row("5.5.2", "kicker only invited", STANDARD.with_members(bob="invite"), member(BOB, DAVE, "leave"), False),
    Row("5.5.3", "unban below the ban level", BANS_AT_75.with_members(eve="ban"), member(CAROL, EVE, "leave"), False),
    Row("5.5.4", "unban at the ban level", BANS_AT_75.with_members(eve="ban"), member(BOB, EVE, "leave"), True),
    Row(
        "5.5.5",
        "unban needs the kick level too",
        Room(power_levels=power(ban=50, kick=75)).with_members(eve="ban"),
        member(CAROL, EVE, "leave"),
        False,
    ),
    Row("5.5.4", "kick a lower user", STANDARD, member(CAROL, DAVE, "leave"), True),
    Row("5.5.4", "kick an invited user", STANDARD.with_members(eve="invite"), member(CAROL, EVE, "leave"), True),
    Row("5.5.5", "kick an equal user", STANDARD, member(CAROL, ERIN, "leave"), False),
    Row("5.5.5", "kick a higher user", STANDARD, member(CAROL, BOB, "leave"), False),
    Row("5.5.5", "kick below the kick level", STANDARD, member(DAVE, EVE, "leave"), False),
    Row("5.5.5", "kick level raised", KICKS_AT_75, member(CAROL, DAVE, "leave"), False),
    Row(
        "5.5.4",
        "kick level lowered",
        Room(power_levels=power(kick=5, users=users(dave=5))).with_members(eve="join"),
        member(DAVE, EVE, "leave"),
        True,
    ),
    Row(
        "5.5.5",
        "kick by an equal user at the kick level",
        Room(power_levels=power(kick=0)),
        member(DAVE, EVE, "leave"),
        False,
    ),
    # 5.6: ban
    Row("5.6.1", "banner not joined", STANDARD.with_members(bob="leave"), member(BOB, DAVE, "ban"), False),
    Row("5.6.2", "ban a lower user", STANDARD, member(CAROL, DAVE, "ban"), True),
    Row("5.6.2", "ban a user not in the room", STANDARD, member(CAROL, EVE, "ban"), True),
    Row("5.6.3", "ban an equal user", STANDARD, member(CAROL, ERIN, "ban"), False),
    Row("5.6.3", "ban a higher user", STANDARD, member(CAROL, BOB, "ban"), False),
    Row("5.6.3", "ban below the ban level", STANDARD, member(DAVE, EVE, "ban"), False),
    Row("5.6.3", "ban level raised", BANS_AT_75, member(CAROL, DAVE, "ban"), False),
    # 5.7: knock
    Row("5.7.1", "public room", STANDARD, member(EVE, EVE, "knock"), False),
    Row("5.7.1", "invite-only room", INVITE_ONLY, member(EVE, EVE, "knock"), False),
    Row("5.7.1", "restricted room", RESTRICTED, member(EVE, EVE, "knock"), False),
    # Before v7 `knock` is an unknown membership (rule "membership 6" there); knock_restricted came in v10.
    Row("5.7.3", "knock room", KNOCK, member(EVE, EVE, "knock"), since(7)),
    Row("5.7.3", "knock_restricted room", KNOCK_RESTRICTED, member(EVE, EVE, "knock"), since(10)),
    Row("5.7.3", "knock again after leaving", KNOCK.with_members(eve="leave"), member(EVE, EVE, "knock"), since(7)),
    Row("5.7.3", "knock again while knocking", KNOCK.with_members(eve="knock"), member(EVE, EVE, "knock"), since(7)),
    Row("5.7.2", "knock on behalf of another user", KNOCK, member(DAVE, EVE, "knock"), False),
    Row("5.7.4", "banned", KNOCK.with_members(eve="ban"), member(EVE, EVE, "knock"), False),
    Row("5.7.4", "already invited", KNOCK.with_members(eve="invite"), member(EVE, EVE, "knock"), False),
    Row("5.7.4", "already joined", KNOCK, member(DAVE, DAVE, "knock"), False),
    # 5.8
    Row("5.8", "unknown membership", STANDARD, member(DAVE, DAVE, "org.example.lurk"), False),
    Row("5.8", "unknown membership from a creator", STANDARD, member(ALICE, ALICE, "away"), False),
    # v12 creators: infinite power; before v12 the create sender is an ordinary PL-100 user and Zoe has 0.
    Row(
        "5.5.4",
        "additional creator kicks a PL-100 user",
        WITH_ZOE,
        member(ZOE, BOB, "leave"),
        since(12),
    ),
    Row(
        "5.6.2",
        "additional creator bans a PL-100 user",
        WITH_ZOE,
        member(ZOE, BOB, "ban"),
        since(12),
    ),
    Row(
        "5.5.4",
        "creator kicks a PL-100 user",
        STANDARD,
        member(ALICE, BOB, "leave"),
        since(12),
    ),
    Row("5.5.5", "PL-100 user kicks the creator", STANDARD, member(BOB, ALICE, "leave"), False),
    Row(
        "5.6.3",
        "PL-100 user bans an additional creator",
        WITH_ZOE,
        member(BOB, ZOE, "ban"),
        before(12),
    ),
    Row("5.6.3", "creators cannot ban each other", WITH_ZOE, member(ZOE, ALICE, "ban"), False),
    Row(
        "5.4.4",
        "creator may invite at any invite level",
        Room(power_levels=power(invite=100)),
        member(ALICE, EVE, "invite"),
        True,
    ),
]


@pytest.mark.parametrize(("row", "version", "allowed"), _params(MEMBER_ROWS))
def test_membership_rules(row: Row, version: str, allowed: bool) -> None:
    _run(row, version, allowed)


@pytest.mark.parametrize("version", PRE_V11)
def test_pre_v11_first_join_uses_content_creator(version: str) -> None:
    """v1-v10 rule "join 1" names "the creator", i.e. `content.creator` (v11 changed it to the create `sender`)."""
    room = Room(members={}, join_rule=None, power_levels=None, create_extra={"creator": BOB})
    _authorise(first_join(BOB), room, version)
    with pytest.raises(AuthError):
        _authorise(first_join(ALICE), room, version)


def test_post_v10_first_join_uses_create_sender() -> None:
    room = Room(members={}, join_rule=None, power_levels=None, create_extra={"creator": BOB})
    # In v11 and v12 `content.creator` means nothing: the sender is the creator.
    for version in ("11", "12"):
        _authorise(first_join(ALICE), room, version)
        with pytest.raises(AuthError):
            _authorise(first_join(BOB), room, version)


# ---------------------------------------------------------------------------------------------------------------
# Rules 6-9: other events
# ---------------------------------------------------------------------------------------------------------------

NO_POWER_LEVELS = Room(power_levels=None)
OPEN_STATE = Room(power_levels=power(events={"org.example.state": 0}))

EVENT_ROWS = [
    # 6: sender must be joined
    Row("6", "message from a non-member", STANDARD, send(EVE), False),
    Row("6", "message from an invitee", STANDARD.with_members(eve="invite"), send(EVE), False),
    Row("6", "message from a former member", STANDARD.with_members(eve="leave"), send(EVE), False),
    Row("6", "message from a banned user", STANDARD.with_members(eve="ban"), send(EVE), False),
    Row("6", "message from a knocking user", STANDARD.with_members(eve="knock"), send(EVE), False),
    Row("6", "state from a non-member", STANDARD, send(EVE, "m.room.topic", ""), False),
    Row("8", "message from a member", STANDARD, send(DAVE), True),
    # 7: third-party invites use the invite level, not the events map
    Row("7.1", "third_party_invite at invite level", STANDARD, send(DAVE, "m.room.third_party_invite", "tok"), True),
    Row(
        "7.1",
        "third_party_invite below invite level",
        INVITE_AT_50,
        send(DAVE, "m.room.third_party_invite", "tok"),
        False,
    ),
    Row(
        "7.1",
        "third_party_invite ignores events map",
        Room(power_levels=power(events={"m.room.third_party_invite": 100})),
        send(DAVE, "m.room.third_party_invite", "tok"),
        True,
    ),
    Row("7.1", "third_party_invite needs membership", STANDARD, send(EVE, "m.room.third_party_invite", "t"), False),
    # 8: required power level
    Row("8", "events map above sender", STANDARD, send(DAVE, "m.room.name", "", name="n"), False),
    Row("8", "events map at sender", STANDARD, send(CAROL, "m.room.name", "", name="n"), True),
    Row(
        "8",
        "events map for a message type",
        Room(power_levels=power(events={"m.reaction": 10})),
        send(DAVE, "m.reaction"),
        False,
    ),
    Row("8", "events map lowers a state type", OPEN_STATE, send(DAVE, "org.example.state", ""), True),
    Row("8", "events_default above sender", Room(power_levels=power(events_default=10)), send(DAVE), False),
    Row("8", "events_default at sender", Room(power_levels=power(events_default=50)), send(CAROL), True),
    Row("8", "state_default above sender", STANDARD, send(DAVE, "org.example.state", ""), False),
    Row("8", "state_default at sender", STANDARD, send(CAROL, "org.example.state", ""), True),
    Row(
        "8",
        "state_default absent means 50",
        Room(power_levels=power(state_default=REMOVE)),
        send(ERIN, "m.room.topic", ""),
        True,
    ),
    Row(
        "8",
        "state_default absent, PL 0",
        Room(power_levels=power(state_default=REMOVE)),
        send(DAVE, "m.room.topic", ""),
        False,
    ),
    Row("8", "events_default absent means 0", Room(power_levels=power(events_default=REMOVE)), send(DAVE), True),
    Row(
        "8",
        "users_default grants power",
        Room(power_levels=power(users_default=50)).with_members(eve="join"),
        send(EVE, "m.room.topic", ""),
        True,
    ),
    # From v3; v1/v2 rule 11 consults the redact level (see LEGACY_ROWS).
    Row(
        "8",
        "redaction ignores the redact level",
        Room(power_levels=power(redact=100)),
        {**send(DAVE, "m.room.redaction"), "redacts": "$x:other.example"},
        since(3),
    ),
    Row(
        "8",
        "redaction follows the events map",
        Room(power_levels=power(events={"m.room.redaction": 60})),
        send(CAROL, "m.room.redaction"),
        False,
    ),
    Row("8", "state key does not matter for the level", STANDARD, send(DAVE, "m.room.topic", "anything"), False),
    # Without a power levels event: state_default 0, creator 100, others 0; kick/ban still default to 50.
    Row("8", "no power levels: member sends state", NO_POWER_LEVELS, send(DAVE, "m.room.name", ""), True),
    Row("8", "no power levels: member sends power levels", NO_POWER_LEVELS, set_power(DAVE, {"users": {}}), True),
    Row("5.5.5", "no power levels: member cannot kick", NO_POWER_LEVELS, member(DAVE, CAROL, "leave"), False),
    Row("5.5.4", "no power levels: creator can kick", NO_POWER_LEVELS, member(ALICE, DAVE, "leave"), True),
    Row("5.6.3", "no power levels: member cannot ban", NO_POWER_LEVELS, member(DAVE, CAROL, "ban"), False),
    Row("5.4.4", "no power levels: member can invite", NO_POWER_LEVELS, member(DAVE, EVE, "invite"), True),
    # 9: state keys naming users
    Row("9", "own user ID as state_key", OPEN_STATE, send(DAVE, "org.example.state", DAVE), True),
    Row("9", "other user ID as state_key", OPEN_STATE, send(DAVE, "org.example.state", CAROL), False),
    Row("9", "admin with other user ID", STANDARD, send(BOB, "org.example.state", DAVE), False),
    Row("9", "creator with other user ID", STANDARD, send(ALICE, "org.example.state", DAVE), False),
    Row("9", "other user ID with suffix", OPEN_STATE, send(DAVE, "org.example.state", DAVE + "_x"), False),
    Row("9", "@ only", OPEN_STATE, send(DAVE, "org.example.state", "@"), False),
    Row("11", "state_key with @ elsewhere", OPEN_STATE, send(DAVE, "org.example.state", "x@y"), True),
]


@pytest.mark.parametrize(("row", "version", "allowed"), _params(EVENT_ROWS))
def test_event_rules(row: Row, version: str, allowed: bool) -> None:
    _run(row, version, allowed)


# ---------------------------------------------------------------------------------------------------------------
# Rules later versions dropped: v1-v5 rule 4 (m.room.aliases), v1-v2 rule 11 (m.room.redaction)
# ---------------------------------------------------------------------------------------------------------------


def aliases(sender: str, state_key: str | None = HS) -> dict[str, Any]:
    return send(sender, "m.room.aliases", state_key, aliases=[f"#room:{HS}"])


def redaction(sender: str, target: str | None) -> dict[str, Any]:
    event = send(sender, "m.room.redaction")
    if target is not None:
        event["redacts"] = target  # top level before v11
    return event


LEGACY_ROWS = [
    # v1-v5: a server lists its own aliases; neither membership nor power levels are consulted. From v6 the
    # event is an ordinary state event (sender joined, state_default 50).
    Row("v1:4.3", "aliases from a non-member for its own server", STANDARD, aliases(EVE), before(6)),
    Row("v1:4.3", "aliases from a banned user", STANDARD.with_members(eve="ban"), aliases(EVE), before(6)),
    Row("v1:4.3", "aliases from a member below state_default", STANDARD, aliases(DAVE), before(6)),
    Row("v1:4.2", "aliases for another server", STANDARD, aliases(BOB, "other.example"), since(6)),
    Row("v1:4.1", "aliases without a state_key", STANDARD, aliases(BOB, None), since(6)),
    Row(
        "4",
        "aliases from a remote server in an unfederated room",
        Room(create_extra={"m.federate": False}),
        send(REMOTE, "m.room.aliases", "other.example", aliases=[]),
        False,
    ),
    # v1-v2: redactions need the redact level unless the target's event ID has the redaction's domain. From
    # v3 the auth rules only apply the events level (the server then decides whether to apply it).
    Row("v1:11.1", "redaction at the redact level", STANDARD, redaction(CAROL, "$x:other.example"), True),
    Row("v1:11.2", "redaction of an event from the same server", STANDARD, redaction(DAVE, f"$x:{HS}"), True),
    Row("v1:11.3", "redaction of another server's event", STANDARD, redaction(DAVE, "$x:other.example"), since(3)),
    Row("v1:11.3", "redaction target without a domain", STANDARD, redaction(DAVE, "$x"), since(3)),
    Row("v1:11.3", "redaction without a target", STANDARD, redaction(DAVE, None), since(3)),
    Row(
        "8",
        "redaction at the redact level but below the events level",
        Room(power_levels=power(events={"m.room.redaction": 60})),
        redaction(CAROL, f"$x:{HS}"),
        False,
    ),
    # v1/v2 cite previous events as [event ID, hashes] pairs; the creator's first join reads the ID.
    Row(
        "5.3.1",
        "creator's first join citing the create event as a pair",
        EMPTY_ROOM,
        {**member(ALICE, ALICE, "join"), "prev_events": [[CREATE_ID, {"sha256": "aGFzaA"}]]},
        True,
        ("1", "2"),
    ),
]


@pytest.mark.parametrize(("row", "version", "allowed"), _params(LEGACY_ROWS))
def test_legacy_rules(row: Row, version: str, allowed: bool) -> None:
    _run(row, version, allowed)


# ---------------------------------------------------------------------------------------------------------------
# Rule 10: m.room.power_levels
# ---------------------------------------------------------------------------------------------------------------


POWER_ROWS = [
    Row("10.10", "no change", STANDARD, set_power(CAROL, power()), True),
    # 10.1: integer-only named levels (v10+)
    # Before v10 integer strings were levels too, and before v6 (no canonical JSON) floats; values that are
    # no level at all are refused in every version.
    *[
        Row("10.1", f"{key} as {kind}", STANDARD, set_power(BOB, power(**{key: bad})), allowed)
        for key in ("users_default", "events_default", "state_default", "ban", "redact", "kick", "invite")
        for kind, bad, allowed in (
            ("string", "50", before(10)),
            ("float", 50.0, before(6)),
            ("bool", True, False),
            ("null", None, False),
            ("non-integer string", "5.5", False),
        )
    ],
    # 10.2: events and notifications
    Row("10.2", "events value a string", STANDARD, set_power(BOB, power(events={"m.room.name": "50"})), before(10)),
    Row("10.2", "events value a float", STANDARD, set_power(BOB, power(events={"m.room.name": 50.0})), before(6)),
    Row("10.2", "events not an object", STANDARD, set_power(BOB, power(events=["m.room.name"])), False),
    Row("10.2", "events value a bool", STANDARD, set_power(BOB, power(events={"m.room.name": True})), False),
    # Before v6 the rules do not look at `notifications` at all.
    Row(
        "10.2",
        "notifications value a string",
        STANDARD,
        set_power(BOB, power(notifications={"room": "50"})),
        before(10),
    ),
    Row("10.2", "notifications not an object", STANDARD, set_power(BOB, power(notifications=50)), before(6)),
    Row(
        "10.2",
        "notifications value a bool",
        STANDARD,
        set_power(BOB, power(notifications={"room": False})),
        before(6),
    ),
    # 10.3: users
    Row("10.3", "users not an object", STANDARD, set_power(BOB, power(users=[DAVE])), False),
    Row("10.3", "users key not a user ID", STANDARD, set_power(BOB, power(users={**STANDARD_USERS, "dave": 0})), False),
    Row(
        "10.3", "users key without server", STANDARD, set_power(BOB, power(users={**STANDARD_USERS, "@dave": 0})), False
    ),
    Row("10.3", "users value a string", STANDARD, set_power(BOB, power(users=users(dave="10"))), before(10)),
    Row("10.3", "users value a float", STANDARD, set_power(BOB, power(users=users(dave=10.0))), before(6)),
    Row("10.3", "users value a word", STANDARD, set_power(BOB, power(users=users(dave="ten"))), False),
    Row("10.3", "users value null", STANDARD, set_power(BOB, power(users=users(dave=None))), False),
    Row(
        "10.3", "users may name remote users", STANDARD, set_power(BOB, power(users=users(eve=0) | {REMOTE: 10})), True
    ),
    # 10.4 (v12): creators cannot be listed; before v12 the create sender is an ordinary entry
    Row(
        "10.10",
        "users lists the create sender",
        STANDARD,
        set_power(BOB, power(users=users(alice=100))),
        True,
        PRE_V12,
    ),
    Row(
        "10.4", "users lists the create sender", STANDARD, set_power(BOB, power(users=users(alice=100))), False, ("12",)
    ),
    Row("10.4", "creator lists themself", STANDARD, set_power(ALICE, power(users=users(alice=100))), False, ("12",)),
    Row(
        "10.4", "users lists an additional creator", WITH_ZOE, set_power(BOB, power(users=users(zoe=0))), False, ("12",)
    ),
    Row(
        "10.10",
        "users lists additional_creators",
        WITH_ZOE,
        set_power(BOB, power(users=users(zoe=0))),
        True,
        PRE_V12,
    ),
    Row(
        "10.4",
        "creators list into a first power levels event",
        Room(power_levels=None),
        set_power(ALICE, {"users": {ALICE: 100}}),
        False,
        ("12",),
    ),
    # 10.5: no previous power levels
    Row("10.5", "first power levels event", NO_POWER_LEVELS, set_power(DAVE, {"users": {DAVE: 100}, "ban": 0}), True),
    Row("10.1", "first power levels event still typed", NO_POWER_LEVELS, set_power(DAVE, {"ban": "0"}), before(10)),
    Row("10.1", "first power levels event, no level", NO_POWER_LEVELS, set_power(DAVE, {"ban": "zero"}), False),
    # 10.6: named levels
    Row("10.6", "lower kick within own level", STANDARD, set_power(CAROL, power(kick=40)), True),
    Row("10.6", "raise kick to own level", STANDARD, set_power(CAROL, power(kick=50)), True),
    Row("10.6.2", "raise kick above own level", STANDARD, set_power(CAROL, power(kick=51)), False),
    Row("10.6.1", "lower ban from above own level", BANS_AT_75, set_power(CAROL, power(ban=50)), False),
    Row("10.6.1", "remove ban from above own level", BANS_AT_75, set_power(CAROL, power(ban=REMOVE)), False),
    Row("10.6", "remove redact at own level", STANDARD, set_power(CAROL, power(redact=REMOVE)), True),
    Row(
        "10.6.2",
        "add invite above own level",
        Room(power_levels=power(invite=REMOVE)),
        set_power(CAROL, power(invite=60)),
        False,
    ),
    Row(
        "10.6",
        "add invite within own level",
        Room(power_levels=power(invite=REMOVE)),
        set_power(CAROL, power(invite=0)),
        True,
    ),
    Row("10.6.2", "users_default above own level", STANDARD, set_power(CAROL, power(users_default=51)), False),
    Row(
        "10.6",
        "unchanged state_default above own level",
        Room(power_levels=power(state_default=60)),
        set_power(CAROL, power(state_default=60, ban=40)),
        True,
    ),
    Row(
        "10.6.1",
        "state_default set above own level",
        Room(power_levels=power(state_default=60)),
        set_power(CAROL, power(state_default=50)),
        False,
    ),
    # 10.7 / 10.8: events and notifications entries
    Row(
        "10.7.1",
        "change events entry above own level",
        STANDARD,
        set_power(CAROL, power(events={**STANDARD_POWER["events"], "m.room.tombstone": 50})),
        False,
    ),
    Row(
        "10.7.1",
        "remove events entry above own level",
        STANDARD,
        set_power(CAROL, power(events={"m.room.name": 50, "m.room.power_levels": 50})),
        False,
    ),
    Row(
        "10.7",
        "remove events entry at own level",
        STANDARD,
        set_power(CAROL, power(events={"m.room.power_levels": 50, "m.room.tombstone": 100})),
        True,
    ),
    Row(
        "10.8.1",
        "add events entry above own level",
        STANDARD,
        set_power(CAROL, power(events={**STANDARD_POWER["events"], "m.room.topic": 60})),
        False,
    ),
    Row(
        "10.8",
        "add events entry at own level",
        STANDARD,
        set_power(CAROL, power(events={**STANDARD_POWER["events"], "m.room.topic": 50})),
        True,
    ),
    Row(
        "10.8.1",
        "raise events entry above own level",
        STANDARD,
        set_power(CAROL, power(events={**STANDARD_POWER["events"], "m.room.name": 51})),
        False,
    ),
    Row(
        "10.7.1",
        "remove whole events map holding a higher entry",
        STANDARD,
        set_power(CAROL, power(events=REMOVE)),
        False,
    ),
    Row(
        "10.8.1",
        "raise notifications above own level",
        STANDARD,
        set_power(CAROL, power(notifications={"room": 100})),
        before(6),
    ),
    Row("10.8", "lower notifications", STANDARD, set_power(CAROL, power(notifications={"room": 0})), True),
    Row(
        "10.7.1",
        "change notifications from above own level",
        Room(power_levels=power(notifications={"room": 100})),
        set_power(CAROL, power(notifications={"room": 0})),
        before(6),
    ),
    Row(
        "10.8.1",
        "add notifications entry above own level",
        STANDARD,
        set_power(CAROL, power(notifications={"room": 50, "org.example": 60})),
        before(6),
    ),
    # 10.9 / 10.10: users
    Row("10.9.1", "demote a higher user", STANDARD, set_power(CAROL, power(users=users(bob=0))), False),
    Row("10.9.1", "demote an equal user", STANDARD, set_power(CAROL, power(users=users(erin=0))), False),
    Row("10.9.1", "remove an equal user", STANDARD, set_power(CAROL, power(users=users(erin=REMOVE))), False),
    Row("10.9", "demote self", STANDARD, set_power(CAROL, power(users=users(carol=0))), True),
    Row("10.9", "remove own entry", STANDARD, set_power(CAROL, power(users=users(carol=REMOVE))), True),
    Row("10.9", "remove a lower user", STANDARD, set_power(CAROL, power(users=users(dave=REMOVE))), True),
    Row("10.10", "promote a lower user to own level", STANDARD, set_power(CAROL, power(users=users(dave=50))), True),
    Row(
        "10.10.1",
        "promote a lower user above own level",
        STANDARD,
        set_power(CAROL, power(users=users(dave=51))),
        False,
    ),
    Row("10.10.1", "add a user above own level", STANDARD, set_power(CAROL, power(users=users(eve=60))), False),
    Row("10.10", "add a user at own level", STANDARD, set_power(CAROL, power(users=users(eve=50))), True),
    Row("10.10.1", "promote self", STANDARD, set_power(CAROL, power(users=users(carol=60))), False),
    Row("10.10", "admin demotes a moderator", STANDARD, set_power(BOB, power(users=users(carol=0, erin=0))), True),
    Row(
        "10.9.1",
        "admin demotes another admin",
        Room(power_levels=power(users=users(dave=100))),
        set_power(BOB, power(users=users(dave=0))),
        False,
    ),
    Row("8", "power levels need their events level", STANDARD, set_power(DAVE, power()), False),
    # v12: creators have infinite power; before v12 the create sender is an ordinary PL-100 user.
    Row(
        "10.9",
        "creator demotes a PL-100 user",
        STANDARD,
        set_power(ALICE, power(users=users(bob=0))),
        since(12),
    ),
    Row(
        "10.10",
        "creator grants a huge level",
        STANDARD,
        set_power(ALICE, power(users=users(dave=10**9))),
        since(12),
    ),
    Row(
        "10.6",
        "creator raises the ban level high",
        STANDARD,
        set_power(ALICE, power(ban=10**6)),
        since(12),
    ),
    Row(
        "10.9",
        "additional creator demotes a PL-100 user",
        WITH_ZOE,
        set_power(ZOE, power(users=users(bob=0))),
        since(12),
    ),
]


@pytest.mark.parametrize(("row", "version", "allowed"), _params(POWER_ROWS))
def test_power_level_rules(row: Row, version: str, allowed: bool) -> None:
    _run(row, version, allowed)


PRE_V10 = versions_from(1, 9)
STRINGY_ROOM = Room(power_levels=power(users=users(carol="50", dave=" +0005 "), ban="75", kick="050"))

# Before v10 levels may be integer strings (and before v6 floats): the rules compare them by value.
STRINGY_POWER_ROWS = [
    Row("5.5.4", "string levels: moderator kicks", STRINGY_ROOM, member(CAROL, DAVE, "leave"), True, PRE_V10),
    Row("5.5.5", "string levels: kick needs 50", STRINGY_ROOM, member(DAVE, ERIN, "leave"), False, PRE_V10),
    Row("5.6.3", "string levels: ban needs 75", STRINGY_ROOM, member(CAROL, DAVE, "ban"), False, PRE_V10),
    Row("5.6.2", "string levels: admin bans", STRINGY_ROOM, member(BOB, DAVE, "ban"), True, PRE_V10),
    Row(
        "10.6",
        "same level spelt differently is no change",
        Room(power_levels=power(ban=75)),
        set_power(CAROL, power(ban="075", kick=40)),
        before(10),
    ),
    Row(
        "10.6.1",
        "string level above own level cannot be lowered",
        STRINGY_ROOM,
        set_power(CAROL, power(users=users(carol="50", dave=" +0005 "), ban=50, kick="050")),
        False,
        PRE_V10,
    ),
    Row(
        "10.9.1",
        "string level of an equal user cannot be changed",
        STRINGY_ROOM.with_members(erin="join"),
        set_power(CAROL, power(users=users(carol="50", dave=" +0005 ", erin="49"), ban="75", kick="050")),
        False,
        PRE_V10,
    ),
    Row(
        "10.10",
        "negative string level",
        STANDARD,
        set_power(BOB, power(users=users(dave="-10"))),
        before(10),
    ),
    Row(
        "10.10",
        "float level truncated to own level",
        STANDARD,
        set_power(BOB, power(users=users(dave=100.9))),
        before(6),
    ),
    Row("10.10.1", "float level above own level", STANDARD, set_power(CAROL, power(users=users(dave=51.0))), False),
]


@pytest.mark.parametrize(("row", "version", "allowed"), _params(STRINGY_POWER_ROWS))
def test_stringy_and_floaty_power_levels(row: Row, version: str, allowed: bool) -> None:
    _run(row, version, allowed)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(50, {"1": 50, "6": 50, "10": 50}, id="integer"),
        pytest.param(-3, {"1": -3, "6": -3, "10": -3}, id="negative-integer"),
        pytest.param("100", {"1": 100, "6": 100, "10": None}, id="string"),
        pytest.param("000100", {"1": 100, "6": 100, "10": None}, id="leading-zeros"),
        pytest.param("+100", {"1": 100, "6": 100, "10": None}, id="plus"),
        pytest.param("-100", {"1": -100, "6": -100, "10": None}, id="minus"),
        pytest.param(" \t00100 \n", {"1": 100, "6": 100, "10": None}, id="whitespace"),
        pytest.param("0" * 5000 + "7", {"1": 7, "6": 7, "10": None}, id="many-leading-zeros"),
        pytest.param("9" * 20, {"1": None, "6": None, "10": None}, id="too-many-digits"),
        pytest.param("", {"1": None, "6": None, "10": None}, id="empty"),
        pytest.param("+", {"1": None, "6": None, "10": None}, id="sign-only"),
        pytest.param("+-1", {"1": None, "6": None, "10": None}, id="two-signs"),
        pytest.param("1 0", {"1": None, "6": None, "10": None}, id="inner-space"),
        pytest.param("5.5", {"1": None, "6": None, "10": None}, id="decimal-string"),
        pytest.param("1e3", {"1": None, "6": None, "10": None}, id="exponent-string"),
        pytest.param("1_000", {"1": None, "6": None, "10": None}, id="underscore"),
        pytest.param("\u0665", {"1": None, "6": None, "10": None}, id="non-ascii-digit"),
        pytest.param(51146.98, {"1": 51146, "6": None, "10": None}, id="float-truncated"),
        pytest.param(5.114698e4, {"1": 51146, "6": None, "10": None}, id="float-exponent"),
        pytest.param(-5.5, {"1": -5, "6": None, "10": None}, id="negative-float-toward-zero"),
        pytest.param(float("inf"), {"1": None, "6": None, "10": None}, id="infinity"),
        pytest.param(float("nan"), {"1": None, "6": None, "10": None}, id="nan"),
        pytest.param(True, {"1": None, "6": None, "10": None}, id="bool"),
        pytest.param(None, {"1": None, "6": None, "10": None}, id="null"),
        pytest.param([5], {"1": None, "6": None, "10": None}, id="list"),
    ],
)
def test_power_level_values_per_version(value: Any, expected: Mapping[str, int | None]) -> None:
    """Spec: rooms v1 "stringy" (v1-v9) and "floaty" (v1-v5) power levels; integers only from v10."""
    for version in VERSIONS:
        group = "10" if int(version) >= 10 else "6" if int(version) >= 6 else "1"
        assert parse_level(value, ROOM_VERSIONS[version]) == expected[group], version


@pytest.mark.parametrize("version", PRE_V10)
def test_string_and_float_levels_as_read_from_state(version: str) -> None:
    dave = 7.9 if int(version) <= 5 else "7"  # floats only where canonical JSON is not enforced
    room = Room(power_levels=power(users=users(carol=" +0049 ", dave=dave), users_default="3", kick="60"))
    state = room.state(version)
    assert user_power_level(CAROL, state, ROOM_VERSIONS[version]) == 49
    assert user_power_level(DAVE, state, ROOM_VERSIONS[version]) == 7
    assert user_power_level(EVE, state, ROOM_VERSIONS[version]) == 3
    assert action_level("kick", state) == 60


# ---------------------------------------------------------------------------------------------------------------
# Power levels as the rules see them, and auth event selection
# ---------------------------------------------------------------------------------------------------------------


def levels(level: float, v12: float | None = None) -> dict[str, float]:
    return {version: v12 if version == "12" and v12 is not None else level for version in VERSIONS}


@pytest.mark.parametrize(
    ("room", "user", "expected"),
    [
        pytest.param(STANDARD, BOB, levels(100), id="listed"),
        pytest.param(STANDARD, EVE, levels(0), id="users_default"),
        pytest.param(Room(power_levels=power(users_default=7)), EVE, levels(7), id="users_default-7"),
        pytest.param(STANDARD, ALICE, levels(100, v12=INFINITE), id="create-sender"),
        pytest.param(WITH_ZOE, ZOE, levels(0, v12=INFINITE), id="additional-creator"),
        pytest.param(NO_POWER_LEVELS, ALICE, levels(100, v12=INFINITE), id="no-pl-creator"),
        pytest.param(NO_POWER_LEVELS, DAVE, levels(0), id="no-pl-member"),
    ],
)
def test_user_power_level(room: Room, user: str, expected: Mapping[str, float]) -> None:
    for version in VERSIONS:
        assert user_power_level(user, room.state(version), ROOM_VERSIONS[version]) == expected[version]


@pytest.mark.parametrize("version", PRE_V11)
def test_pre_v11_creator_without_power_levels_is_content_creator(version: str) -> None:
    room = Room(power_levels=None, create_extra={"creator": BOB})
    state: StateMap = room.state(version)
    assert user_power_level(BOB, state, ROOM_VERSIONS[version]) == 100
    assert user_power_level(ALICE, state, ROOM_VERSIONS[version]) == 0


CREATE = ("m.room.create", "")
POWER = ("m.room.power_levels", "")
RULES = ("m.room.join_rules", "")


def _mk(sender: str, target: str, membership: str, **content: Any) -> dict[str, Any]:
    return member(sender, target, membership, **content)


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        pytest.param(send(DAVE), [POWER, ("m.room.member", DAVE)], id="message"),
        pytest.param(send(DAVE, "m.room.name", ""), [POWER, ("m.room.member", DAVE)], id="state"),
        pytest.param(_mk(DAVE, DAVE, "join"), [POWER, ("m.room.member", DAVE), RULES], id="self-join"),
        pytest.param(_mk(DAVE, DAVE, "leave"), [POWER, ("m.room.member", DAVE)], id="self-leave"),
        pytest.param(
            _mk(DAVE, EVE, "knock"), [POWER, ("m.room.member", DAVE), ("m.room.member", EVE), RULES], id="knock"
        ),
        pytest.param(
            _mk(BOB, EVE, "invite"), [POWER, ("m.room.member", BOB), ("m.room.member", EVE), RULES], id="invite"
        ),
        pytest.param(_mk(BOB, EVE, "ban"), [POWER, ("m.room.member", BOB), ("m.room.member", EVE)], id="ban"),
        pytest.param(
            _mk(BOB, EVE, "invite", third_party_invite={"signed": {"token": "tok"}}),
            [POWER, ("m.room.member", BOB), ("m.room.member", EVE), RULES, ("m.room.third_party_invite", "tok")],
            id="third-party-invite",
        ),
        pytest.param(
            _mk(BOB, EVE, "invite", third_party_invite={"signed": "garbage"}),
            [POWER, ("m.room.member", BOB), ("m.room.member", EVE), RULES],
            id="third-party-invite-malformed",
        ),
        pytest.param(
            _mk(EVE, EVE, "join", join_authorised_via_users_server=CAROL),
            [POWER, ("m.room.member", EVE), RULES, ("m.room.member", CAROL)],
            id="restricted-join",
        ),
        pytest.param(
            _mk(EVE, EVE, "leave", join_authorised_via_users_server=CAROL),
            [POWER, ("m.room.member", EVE)],
            id="via-ignored-unless-join",
        ),
    ],
)
def test_auth_event_selection(event: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    """Server-server API "Auth events selection": the create event is selected before v12 and never in v12."""
    for version in PRE_V12:
        assert auth_event_keys(event, ROOM_VERSIONS[version]) == [CREATE, *expected]
    assert auth_event_keys(event, ROOM_VERSIONS["12"]) == expected


def test_create_event_has_no_auth_events() -> None:
    for version in VERSIONS:
        assert auth_event_keys(_create_event(version, {}), ROOM_VERSIONS[version]) == []


NUMBERED_RULES = (
    *("1.2", "2", "4", "5.1", "5.2.1", "5.3.1", "5.3.4", "5.3.5.2", "5.3.6", "5.3.7", "5.4.4", "5.5.1", "5.6.2"),
    *("5.7.1", "5.8", "6", "9", "10.1", "10.2", "10.3", "10.4", "10.5", "10.6.1", "10.10.1", "11", "v1:4.2", "v1:11.1"),
)
V1_NUMBERS = (
    *("1.2", None, "3", "5.1", None, "5.2.1", "5.2.4", None, "5.2.5", "5.2.6", "5.3.4", "5.4.1", "5.5.2"),
    *(None, "5.6", "6", "9", None, None, "10.1", None, "10.2", "10.3.1", "10.7.1", "12", "4.2", "11.1"),
)
V3_NUMBERS = (*V1_NUMBERS[:24], "11", "4.2", None)
V6_NUMBERS = (
    *("1.2", None, "3", "4.1", None, "4.2.1", "4.2.4", None, "4.2.5", "4.2.6", "4.3.4", "4.4.1", "4.5.2"),
    *(None, "4.6", "5", "8", None, None, "9.1", None, "9.2", "9.3.1", "9.7.1", "10", None, None),
)
V7_NUMBERS = (*V6_NUMBERS[:13], "4.6.1", "4.7", *V6_NUMBERS[15:])
V8_NUMBERS = (
    *("1.2", None, "3", "4.1", "4.2.1", "4.3.1", "4.3.4", "4.3.5.2", "4.3.6", "4.3.7", "4.4.4", "4.5.1", "4.6.2"),
    *("4.7.1", "4.8", "5", "8", None, None, "9.1", None, "9.2", "9.3.1", "9.7.1", "10", None, None),
)
V10_NUMBERS = (*V8_NUMBERS[:17], "9.1", "9.2", "9.3", None, "9.4", "9.5.1", "9.9.1", "10", None, None)


@pytest.mark.parametrize(
    ("versions", "numbers"),
    [
        (("1", "2"), V1_NUMBERS),
        (("3", "4", "5"), V3_NUMBERS),
        (("6",), V6_NUMBERS),
        (("7",), V7_NUMBERS),
        (("8", "9"), V8_NUMBERS),
        (("10", "11"), V10_NUMBERS),
        (("12",), (*NUMBERED_RULES[:25], None, None)),
    ],
)
def test_rule_numbering_helper(versions: tuple[str, ...], numbers: tuple[str | None, ...]) -> None:
    """Each version's own numbers, read off its "Authorisation rules" section."""
    for version in versions:
        assert [rule_in(version, rule) for rule in NUMBERED_RULES] == list(numbers)
