"""What a legal hold forbids administrators to destroy (issue 14): a room under hold keeps its history, a
person under hold keeps every event they sent and every media item they uploaded."""

from __future__ import annotations

from collections.abc import Collection

from .decision import ALLOW, Decision, deny


def may_purge_room(room_held: bool, held_senders: Collection[str]) -> Decision:
    if room_held:
        return deny("legal_hold", "This room is under legal hold: its history cannot be purged")
    if held_senders:
        return deny("legal_hold", "Someone who wrote in this room is under legal hold: its history cannot be purged")
    return ALLOW


def may_delete_media(held_uploaders: Collection[str]) -> Decision:
    if held_uploaders:
        return deny("legal_hold", "This media was uploaded by someone under legal hold: it cannot be deleted")
    return ALLOW
