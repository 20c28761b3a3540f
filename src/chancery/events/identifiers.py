"""Matrix identifier grammar (appendix: identifier grammar)."""

from __future__ import annotations

import re

# Historical user IDs may contain more characters; new ones use this set (appendix: user identifiers).
_LOCALPART_NEW = re.compile(r"^[a-z0-9._=\-/+]+$")
_LOCALPART_HISTORICAL = re.compile(r"^[\x21-\x39\x3b-\x7e]+$")
_SERVER_NAME = re.compile(
    r"^(?:\[[0-9A-Fa-f:.]{2,45}\]|[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[A-Za-z0-9\-.]{1,255})(?::[0-9]{1,5})?$"
)
MAX_ID_LENGTH = 255


def is_valid_server_name(name: str) -> bool:
    return bool(_SERVER_NAME.fullmatch(name))


def split_id(identifier: str, sigil: str) -> tuple[str, str] | None:
    """Split `<sigil>local:server` into (local, server), or None when malformed."""
    if not identifier.startswith(sigil) or ":" not in identifier:
        return None
    local, _, server = identifier[1:].partition(":")
    if not local or not is_valid_server_name(server):
        return None
    return local, server


def is_valid_user_id(user_id: str) -> bool:
    if not isinstance(user_id, str) or len(user_id.encode()) > MAX_ID_LENGTH:
        return False
    parts = split_id(user_id, "@")
    return parts is not None and bool(_LOCALPART_HISTORICAL.fullmatch(parts[0]))


def is_valid_new_localpart(localpart: str) -> bool:
    return bool(_LOCALPART_NEW.fullmatch(localpart))


def server_of(identifier: str) -> str:
    """The server part of a user ID, alias or old-style room/event ID."""
    return identifier.split(":", 1)[1] if ":" in identifier else ""


def localpart_of(user_id: str) -> str:
    return user_id[1:].split(":", 1)[0]


def is_valid_room_alias(alias: str) -> bool:
    return len(alias.encode()) <= MAX_ID_LENGTH and split_id(alias, "#") is not None


def is_valid_room_id(room_id: str) -> bool:
    if not isinstance(room_id, str) or not room_id.startswith("!") or len(room_id.encode()) > MAX_ID_LENGTH:
        return False
    return len(room_id) > 1 and all(c not in room_id for c in " \x00")
