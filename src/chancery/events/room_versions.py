"""The room versions this server speaks, and what differs between them (spec: rooms/v1 .. v12).

Each version is the one before it with some capabilities switched, as the spec builds each version on the
previous one. The rule engine, the redaction algorithm and the event format read these named flags, never
version numbers. Differences that only matter to a server exchanging events with others (state resolution
v1 vs v2, v5's signing-key validity periods) have no flag: nothing here resolves state or verifies remote
signatures yet.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum


class EventIdFormat(Enum):
    # v1, v2: `$opaque:server`, chosen by the creating server and part of the event; `prev_events` and
    # `auth_events` are `[event_id, {"sha256": reference hash}]` pairs.
    SERVER_ASSIGNED = "server_assigned"
    # v3: `$` + the reference hash in unpadded standard base64; the ID is not part of the event.
    REFERENCE_HASH = "reference_hash"
    # v4+: the same, in URL-safe unpadded base64.
    URL_SAFE_REFERENCE_HASH = "url_safe_reference_hash"


@dataclass(frozen=True)
class RoomVersion:
    identifier: str
    event_id_format: EventIdFormat
    # v1-v5: `m.room.aliases` has its own auth rule (the sender's domain must be the state key, nothing
    # else is checked) and keeps `aliases` when redacted. v6 took all special meaning away.
    special_case_aliases: bool
    # v1-v2: auth rule for `m.room.redaction`: the redact level, or the same event-ID domain as the target.
    redaction_auth_rule: bool
    # v6+: events must be canonical JSON, so power levels can no longer be floats.
    strict_canonical_json: bool
    # v6+: changes to `notifications` in power levels are checked like changes to `events`.
    notifications_in_power_level_rules: bool
    # v7+: the `knock` join rule and `knock` membership.
    knock_join_rule: bool
    # v8+: the `restricted` join rule (`join_authorised_via_users_server`); redaction keeps join rules' `allow`.
    restricted_join_rule: bool
    # v9+: redaction keeps a member event's `join_authorised_via_users_server`.
    restricted_join_redaction_fix: bool
    # v10+: the `knock_restricted` join rule.
    knock_restricted_join_rule: bool
    # v10+: power levels must be integers (before, integer strings were accepted too).
    integer_power_levels: bool
    # v11+: `m.room.create` has no `creator`; redaction keeps more; `redacts` lives in content.
    v11_redaction_and_format: bool
    # v12: room ID is the create event's reference hash; creators have infinite power.
    create_event_defines_room_id: bool


_V1 = RoomVersion(
    "1",
    event_id_format=EventIdFormat.SERVER_ASSIGNED,
    special_case_aliases=True,
    redaction_auth_rule=True,
    strict_canonical_json=False,
    notifications_in_power_level_rules=False,
    knock_join_rule=False,
    restricted_join_rule=False,
    restricted_join_redaction_fix=False,
    knock_restricted_join_rule=False,
    integer_power_levels=False,
    v11_redaction_and_format=False,
    create_event_defines_room_id=False,
)
_V2 = replace(_V1, identifier="2")  # state resolution v2
_V3 = replace(_V2, identifier="3", event_id_format=EventIdFormat.REFERENCE_HASH, redaction_auth_rule=False)
_V4 = replace(_V3, identifier="4", event_id_format=EventIdFormat.URL_SAFE_REFERENCE_HASH)
_V5 = replace(_V4, identifier="5")  # signing-key validity periods
_V6 = replace(
    _V5,
    identifier="6",
    special_case_aliases=False,
    strict_canonical_json=True,
    notifications_in_power_level_rules=True,
)
_V7 = replace(_V6, identifier="7", knock_join_rule=True)
_V8 = replace(_V7, identifier="8", restricted_join_rule=True)
_V9 = replace(_V8, identifier="9", restricted_join_redaction_fix=True)
_V10 = replace(_V9, identifier="10", knock_restricted_join_rule=True, integer_power_levels=True)
_V11 = replace(_V10, identifier="11", v11_redaction_and_format=True)
_V12 = replace(_V11, identifier="12", create_event_defines_room_id=True)

ROOM_VERSIONS: dict[str, RoomVersion] = {
    version.identifier: version for version in (_V1, _V2, _V3, _V4, _V5, _V6, _V7, _V8, _V9, _V10, _V11, _V12)
}

DEFAULT_ROOM_VERSION = "12"


def get_room_version(identifier: str) -> RoomVersion | None:
    return ROOM_VERSIONS.get(identifier)
