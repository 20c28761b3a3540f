"""Content hashes, reference hashes and event IDs (server-server API: signing events; rooms: event IDs)."""

from __future__ import annotations

import hashlib
from typing import Any

from unpaddedbase64 import encode_base64

from .canonical import canonical_json
from .redaction import prune_event
from .room_versions import EventIdFormat, RoomVersion


def compute_content_hash(event: dict[str, Any]) -> str:
    """sha256 over the event without `unsigned`, `signatures` and `hashes`, unpadded base64."""
    stripped = {k: v for k, v in event.items() if k not in ("unsigned", "signatures", "hashes")}
    return encode_base64(hashlib.sha256(canonical_json(stripped)).digest())


def add_content_hash(event: dict[str, Any]) -> None:
    event["hashes"] = {"sha256": compute_content_hash(event)}


def reference_hash(event: dict[str, Any], version: RoomVersion) -> bytes:
    pruned = prune_event(event, version)
    pruned.pop("signatures", None)
    pruned.pop("unsigned", None)
    if version.event_id_format is not EventIdFormat.SERVER_ASSIGNED:
        # A stored event carries the ID derived from this hash; the hash itself cannot cover it.
        pruned.pop("event_id", None)
    return hashlib.sha256(canonical_json(pruned)).digest()


def reference_hash_base64(event: dict[str, Any], version: RoomVersion) -> str:
    """The reference hash as room versions 1 and 2 cite it next to an event ID (unpadded standard base64)."""
    return encode_base64(reference_hash(event, version))


def compute_event_id(event: dict[str, Any], version: RoomVersion) -> str:
    """Room versions 3+: `$` + unpadded base64 of the reference hash (URL-safe from version 4)."""
    if version.event_id_format is EventIdFormat.SERVER_ASSIGNED:
        raise ValueError(f"room version {version.identifier} event IDs are chosen by the server, not computed")
    urlsafe = version.event_id_format is EventIdFormat.URL_SAFE_REFERENCE_HASH
    return "$" + encode_base64(reference_hash(event, version), urlsafe=urlsafe)


def room_id_from_create_event_id(event_id: str) -> str:
    """Room version 12: the room ID is the create event's ID with the `!` sigil."""
    return "!" + event_id[1:]
