"""The authorisation rules of room versions 1 to 12 (spec: rooms/v1 .. v12, "Authorisation rules").

`check_auth` decides whether `event` is allowed given the room state just before it. It does no I/O.
Where versions differ, the rules read the capability flags of `RoomVersion`.
"""

from __future__ import annotations

from typing import Any

from .builder import referenced_event_ids
from .hashing import room_id_from_create_event_id
from .identifiers import is_valid_user_id, server_of
from .power_levels import (
    StateMap,
    action_level,
    original_creator,
    parse_level,
    required_event_level,
    room_creators,
    user_power_level,
)
from .room_versions import ROOM_VERSIONS, RoomVersion


class AuthError(Exception):
    """The event is not allowed by the room's authorisation rules."""


def _membership(state: StateMap, user_id: str) -> str:
    event = state.get(("m.room.member", user_id))
    return str(event["content"].get("membership", "leave")) if event else "leave"


def _join_rule(state: StateMap) -> str:
    event = state.get(("m.room.join_rules", ""))
    return str(event["content"].get("join_rule", "invite")) if event else "invite"


def auth_event_keys(event: dict[str, Any], version: RoomVersion) -> list[tuple[str, str]]:
    """The state keys selected as `auth_events` (server-server API: auth events selection)."""
    if event["type"] == "m.room.create":
        return []
    keys: list[tuple[str, str]] = []
    if not version.create_event_defines_room_id:
        keys.append(("m.room.create", ""))
    keys += [("m.room.power_levels", ""), ("m.room.member", event["sender"])]
    if event["type"] == "m.room.member":
        content = event.get("content", {})
        membership = content.get("membership")
        keys.append(("m.room.member", event["state_key"]))
        if membership in ("join", "invite", "knock"):
            keys.append(("m.room.join_rules", ""))
        if membership == "invite" and isinstance(content.get("third_party_invite"), dict):
            signed = content["third_party_invite"].get("signed")
            token = signed.get("token") if isinstance(signed, dict) else None
            if isinstance(token, str):
                keys.append(("m.room.third_party_invite", token))
        via = content.get("join_authorised_via_users_server")
        if membership == "join" and isinstance(via, str):
            keys.append(("m.room.member", via))
    return list(dict.fromkeys(keys))


def check_auth(event: dict[str, Any], state: StateMap, version: RoomVersion) -> None:
    """Raise AuthError unless the auth rules allow `event` on top of `state`."""
    if event["type"] == "m.room.create":
        _check_create(event, version)
        return
    create = state.get(("m.room.create", ""))
    if create is None:
        raise AuthError("room has no create event")
    if version.create_event_defines_room_id and event["room_id"] != room_id_from_create_event_id(create["event_id"]):
        raise AuthError("room_id does not match the create event")
    if create["content"].get("m.federate", True) is False and server_of(event["sender"]) != server_of(create["sender"]):
        raise AuthError("room is not federated")
    if event["type"] == "m.room.aliases" and version.special_case_aliases:
        # v1-v5 rule 4: a server lists its own aliases; membership and power levels are not consulted.
        if "state_key" not in event:
            raise AuthError("m.room.aliases needs a state_key")
        if server_of(event["sender"]) != event["state_key"]:
            raise AuthError("m.room.aliases state_key must be the sender's server")
        return
    if event["type"] == "m.room.member":
        _check_membership(event, state, version, create)
        return
    sender_level = user_power_level(event["sender"], state, version)
    if _membership(state, event["sender"]) != "join":
        raise AuthError("sender is not joined to the room")
    if event["type"] == "m.room.third_party_invite":
        if sender_level < action_level("invite", state):
            raise AuthError("sender may not invite")
        return
    is_state = "state_key" in event
    if required_event_level(event["type"], is_state, state) > sender_level:
        raise AuthError(f"sender's power level is too low to send {event['type']}")
    state_key = event.get("state_key")
    if isinstance(state_key, str) and state_key.startswith("@") and state_key != event["sender"]:
        raise AuthError("state_key names another user")
    if event["type"] == "m.room.power_levels":
        _check_power_levels(event, state, version, sender_level)
    if event["type"] == "m.room.redaction" and version.redaction_auth_rule:
        _check_redaction(event, state, sender_level)


def _check_redaction(event: dict[str, Any], state: StateMap, sender_level: float) -> None:
    """v1-v2 rule 11: the redact level, or a redaction from the server that created the target."""
    if sender_level >= action_level("redact", state):
        return
    target = event.get("redacts")  # top level: these versions predate v11's move into content
    if isinstance(target, str) and server_of(target) == server_of(str(event.get("event_id", ""))):
        return
    raise AuthError("sender's power level is too low to redact another server's event")


def _check_create(event: dict[str, Any], version: RoomVersion) -> None:
    if event.get("prev_events"):
        raise AuthError("create event has prev_events")
    if version.create_event_defines_room_id:
        # Our stored copy carries the derived room_id for convenience; a PDU carrying any other is invalid.
        event_id = event.get("event_id")
        if "room_id" in event and (
            not isinstance(event_id, str) or event["room_id"] != room_id_from_create_event_id(event_id)
        ):
            raise AuthError("create event has a room_id")
    elif server_of(event["room_id"]) != server_of(event["sender"]):
        raise AuthError("room_id domain differs from the sender's")
    # Rule 1.3 only rejects a room_version that is present and unrecognised.
    content = event["content"]
    if "room_version" in content and not (
        isinstance(content["room_version"], str) and content["room_version"] in ROOM_VERSIONS
    ):
        raise AuthError("unknown room version")
    if not version.v11_redaction_and_format and "creator" not in content:
        raise AuthError("create event has no creator")
    if version.create_event_defines_room_id and "additional_creators" in event["content"]:
        extra = event["content"]["additional_creators"]
        if not isinstance(extra, list) or not all(isinstance(u, str) and is_valid_user_id(u) for u in extra):
            raise AuthError("additional_creators must be a list of user IDs")


def _check_membership(event: dict[str, Any], state: StateMap, version: RoomVersion, create: dict[str, Any]) -> None:
    content = event.get("content", {})
    target = event.get("state_key")
    membership = content.get("membership")
    if not isinstance(target, str) or not isinstance(membership, str):
        raise AuthError("member event needs a state_key and a membership")
    sender = event["sender"]
    sender_membership = _membership(state, sender)
    target_membership = _membership(state, target)
    sender_level = user_power_level(sender, state, version)
    target_level = user_power_level(target, state, version)

    if membership == "join":
        prev = referenced_event_ids(event.get("prev_events"))
        if len(prev) == 1 and prev[0] == create["event_id"] and target == original_creator(create, version):
            return
        if sender != target:
            raise AuthError("cannot join on behalf of another user")
        if sender_membership == "ban":
            raise AuthError("sender is banned")
        join_rule = _join_rule(state)
        if join_rule == "invite" or (join_rule == "knock" and version.knock_join_rule):
            if sender_membership in ("invite", "join"):
                return
            raise AuthError("room is invite only")
        if (join_rule == "restricted" and version.restricted_join_rule) or (
            join_rule == "knock_restricted" and version.knock_restricted_join_rule
        ):
            if sender_membership in ("invite", "join"):
                return
            via = content.get("join_authorised_via_users_server")
            if not isinstance(via, str) or _membership(state, via) != "join":
                raise AuthError("restricted join not authorised")
            if user_power_level(via, state, version) < action_level("invite", state):
                raise AuthError("authorising user may not invite")
            return
        if join_rule == "public":
            return
        raise AuthError("join rule does not allow joining")

    if membership == "invite":
        if "third_party_invite" in content:
            raise AuthError("third-party invites are not supported")
        if sender_membership != "join":
            raise AuthError("inviter is not joined")
        if target_membership in ("join", "ban"):
            raise AuthError(f"invitee is already {target_membership}")
        if sender_level >= action_level("invite", state):
            return
        raise AuthError("sender's power level is too low to invite")

    if membership == "leave":
        if sender == target:
            if sender_membership in ("invite", "join") or (sender_membership == "knock" and version.knock_join_rule):
                return
            raise AuthError("cannot leave a room you are not in")
        if sender_membership != "join":
            raise AuthError("sender is not joined")
        if target_membership == "ban" and sender_level < action_level("ban", state):
            raise AuthError("sender's power level is too low to unban")
        if sender_level >= action_level("kick", state) and target_level < sender_level:
            return
        raise AuthError("sender's power level is too low to kick this user")

    if membership == "ban":
        if sender_membership != "join":
            raise AuthError("sender is not joined")
        if sender_level >= action_level("ban", state) and target_level < sender_level:
            return
        raise AuthError("sender's power level is too low to ban this user")

    if membership == "knock" and version.knock_join_rule:
        join_rule = _join_rule(state)
        if join_rule != "knock" and not (join_rule == "knock_restricted" and version.knock_restricted_join_rule):
            raise AuthError("room does not allow knocking")
        if sender != target:
            raise AuthError("cannot knock on behalf of another user")
        if sender_membership not in ("ban", "invite", "join"):
            return
        raise AuthError(f"cannot knock while {sender_membership}")

    raise AuthError(f"unknown membership {membership!r}")


_PL_NAMED_KEYS = ("users_default", "events_default", "state_default", "ban", "redact", "kick", "invite")


def _level_maps(version: RoomVersion) -> tuple[str, ...]:
    """The maps of levels whose changes the rules check (`notifications` only from v6)."""
    return ("events", "notifications") if version.notifications_in_power_level_rules else ("events",)


def _check_level_types(new: dict[str, Any], version: RoomVersion) -> None:
    """Every level must be one `version` can read: v10 rules 9.1-9.3 (integers only); before v10 only `users`
    is spelled out (integers or integer strings), and a value no server could read as a level is refused
    as well rather than silently treated as absent."""
    for key in _PL_NAMED_KEYS:
        if key in new and parse_level(new[key], version) is None:
            raise AuthError(f"power level {key} must be an integer")
    for key in _level_maps(version):
        if key in new and not (
            isinstance(new[key], dict) and all(parse_level(v, version) is not None for v in new[key].values())
        ):
            raise AuthError(f"power levels {key} must map to integers")
    users = new.get("users", {})
    if not isinstance(users, dict) or not all(
        is_valid_user_id(user) and parse_level(level, version) is not None for user, level in users.items()
    ):
        raise AuthError("power levels users must map user IDs to integers")


def _levels(content: dict[str, Any], key: str, version: RoomVersion) -> dict[str, int]:
    values = content.get(key)
    if not isinstance(values, dict):
        return {}
    parsed = {name: parse_level(value, version) for name, value in values.items()}
    return {name: level for name, level in parsed.items() if level is not None}


def _check_power_levels(event: dict[str, Any], state: StateMap, version: RoomVersion, sender_level: float) -> None:
    new = event.get("content", {})
    _check_level_types(new, version)
    users = _levels(new, "users", version)
    if version.create_event_defines_room_id:
        creators = room_creators(state.get(("m.room.create", "")), version)
        if creators & set(users):
            raise AuthError("room creators cannot be given a power level")
    previous = state.get(("m.room.power_levels", ""))
    if previous is None:
        return
    old = previous.get("content", {})
    # Levels are compared by value: before v10 "50" and 50 are the same level.
    old_named = {key: parse_level(old.get(key), version) for key in _PL_NAMED_KEYS}
    for key in _PL_NAMED_KEYS:
        old_level, new_level = old_named[key], parse_level(new.get(key), version)
        if old_level != new_level:
            if old_level is not None and old_level > sender_level:
                raise AuthError(f"cannot change {key} from a level above your own")
            if new_level is not None and new_level > sender_level:
                raise AuthError(f"cannot set {key} above your own level")
    for key in _level_maps(version):
        old_map, new_map = _levels(old, key, version), _levels(new, key, version)
        for name in set(old_map) | set(new_map):
            if old_map.get(name) == new_map.get(name):
                continue
            if name in old_map and old_map[name] > sender_level:
                raise AuthError(f"cannot change {key}.{name} from a level above your own")
            if name in new_map and new_map[name] > sender_level:
                raise AuthError(f"cannot set {key}.{name} above your own level")
    old_users = _levels(old, "users", version)
    for user in set(old_users) | set(users):
        if old_users.get(user) == users.get(user):
            continue
        if user != event["sender"] and user in old_users and old_users[user] >= sender_level:
            raise AuthError("cannot change the level of a user at or above your own")
        if user in users and users[user] > sender_level:
            raise AuthError("cannot raise a user above your own level")
