"""The hash chain, pure: an entry's hash and the check of a run of entries. No I/O, so the offline
verifier (`chancery audit verify --export`) and the server compute exactly the same thing."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .canonical import canonical_json

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class Entry:
    seq: int
    ts: int
    user_id: str | None
    device_id: str | None
    ip: str | None
    via: str
    job: str | None
    action: str
    target: str | None
    outcome: str
    reason: str | None
    details: dict[str, Any] | None
    prev_hash: str
    hash: str

    def body(self) -> dict[str, Any]:
        """Every field the hash covers (all but the hash itself), as exported."""
        return {
            "seq": self.seq,
            "ts": self.ts,
            "user_id": self.user_id,
            "device_id": self.device_id,
            "ip": self.ip,
            "via": self.via,
            "job": self.job,
            "action": self.action,
            "target": self.target,
            "outcome": self.outcome,
            "reason": self.reason,
            "details": self.details,
            "prev_hash": self.prev_hash,
        }

    def to_json(self) -> dict[str, Any]:
        return {**self.body(), "hash": self.hash}

    @classmethod
    def from_json(cls, value: Any) -> Entry:
        """An entry as exported (one JSONL line); ValueError when a field is missing or of the wrong type."""
        if not isinstance(value, dict):
            raise ValueError("an audit entry is a JSON object")

        def field(name: str, kind: type, optional: bool = False) -> Any:
            item = value.get(name)
            if (item is None and optional) or (isinstance(item, kind) and not isinstance(item, bool)):
                return item
            raise ValueError(f"audit entry field {name!r} is missing or not a {kind.__name__}")

        return cls(
            seq=field("seq", int),
            ts=field("ts", int),
            user_id=field("user_id", str, True),
            device_id=field("device_id", str, True),
            ip=field("ip", str, True),
            via=field("via", str),
            job=field("job", str, True),
            action=field("action", str),
            target=field("target", str, True),
            outcome=field("outcome", str),
            reason=field("reason", str, True),
            details=field("details", dict, True),
            prev_hash=field("prev_hash", str),
            hash=field("hash", str),
        )


def entry_hash(body: dict[str, Any]) -> str:
    """SHA-256 (hex) over the canonical JSON of the entry's fields, `prev_hash` included."""
    return hashlib.sha256(canonical_json(body)).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    problem: str


def first_break(entries: Iterable[Entry], anchor_seq: int, anchor_hash: str) -> ChainBreak | None:
    """The first entry (in the given order) that does not continue the chain from the anchor.

    An edited entry no longer matches its hash; a deleted one leaves a gap in seq; an inserted or swapped
    one breaks the seq order or the link to its predecessor's hash.
    """
    expected_seq, expected_prev = anchor_seq + 1, anchor_hash
    for entry in entries:
        if entry.seq != expected_seq:
            return ChainBreak(min(entry.seq, expected_seq), f"expected seq {expected_seq}, found {entry.seq}")
        if entry.prev_hash != expected_prev:
            return ChainBreak(entry.seq, "prev_hash does not match the previous entry's hash")
        if entry_hash(entry.body()) != entry.hash:
            return ChainBreak(entry.seq, "the entry does not match its hash (edited)")
        expected_seq, expected_prev = entry.seq + 1, entry.hash
    return None
