"""The hash chain, pure: an entry's hash and the check of a run of entries. No I/O, so the offline
verifier (`chancery audit verify --export`) and the server compute exactly the same thing."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from signedjson.types import SigningKey

from .canonical import canonical_json
from .signing import sign_object, verify_key_from_base64, verify_signature

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


class ChainVerifier:
    """Checks a chain fed entry by entry in seq order (the log can be larger than memory), from an anchor
    (seq 0 and the genesis hash, or the checkpoint retention pruned up to) to the recorded end.

    An edited entry no longer matches its hash; a deleted one leaves a gap; an inserted or swapped one breaks
    the seq order or the link to its predecessor. An entry rewritten together with every later hash is caught
    by the signed checkpoints (`signed`: seq -> hash of the checkpoints whose signature was verified).
    """

    def __init__(self, anchor_seq: int, anchor_hash: str, signed: dict[int, str] | None = None) -> None:
        self.expected_seq, self.expected_prev = anchor_seq + 1, anchor_hash
        self.signed = signed or {}
        self.count = 0

    def feed(self, entry: Entry) -> ChainBreak | None:
        if entry.seq != self.expected_seq:
            seq = min(entry.seq, self.expected_seq)
            return ChainBreak(seq, f"expected seq {self.expected_seq}, found {entry.seq}")
        if entry.prev_hash != self.expected_prev:
            return ChainBreak(entry.seq, "prev_hash does not match the previous entry's hash")
        if entry_hash(entry.body()) != entry.hash:
            return ChainBreak(entry.seq, "the entry does not match its hash (edited)")
        if self.signed.get(entry.seq, entry.hash) != entry.hash:
            return ChainBreak(entry.seq, "the chain differs from the signed checkpoint at this entry")
        self.expected_seq, self.expected_prev = entry.seq + 1, entry.hash
        self.count += 1
        return None

    def finish(self, end_seq: int, end_hash: str) -> ChainBreak | None:
        """After the last entry: the chain must end where the log says it ends, and reach every checkpoint."""
        last_seq = self.expected_seq - 1
        if last_seq < end_seq:
            return ChainBreak(last_seq + 1, f"entries {last_seq + 1} to {end_seq} are missing")
        if last_seq > end_seq:
            return ChainBreak(end_seq + 1, f"entries after the chain's recorded end ({end_seq}) were added")
        if self.expected_prev != end_hash:
            return ChainBreak(end_seq, "the last entry's hash differs from the chain's recorded end")
        beyond = [seq for seq in self.signed if seq > last_seq]
        if beyond:
            return ChainBreak(last_seq + 1, f"a signed checkpoint covers seq {min(beyond)}, beyond the last entry")
        return None


def first_break(entries: Iterable[Entry], anchor_seq: int, anchor_hash: str) -> ChainBreak | None:
    """The first entry that does not continue the chain from the anchor (no end or checkpoints checked)."""
    verifier = ChainVerifier(anchor_seq, anchor_hash)
    for entry in entries:
        broken = verifier.feed(entry)
        if broken is not None:
            return broken
    return None


# -- signed checkpoints -------------------------------------------------------------------------------


def checkpoint(server_name: str, seq: int, hash_: str, ts: int, key: SigningKey) -> dict[str, Any]:
    """The signed statement "the audit chain of `server_name` had `hash_` at `seq`" (signed JSON)."""
    return sign_object(
        {"type": "org.chancery.audit.checkpoint", "server_name": server_name, "seq": seq, "hash": hash_, "ts": ts},
        server_name,
        key,
    )


def checkpoint_signed_by(signed: dict[str, Any], public_key_base64: str) -> bool:
    """Whether one of the checkpoint's signatures is by the ed25519 key `public_key_base64`."""
    server_name = signed.get("server_name")
    all_signatures = signed.get("signatures")
    if not isinstance(server_name, str) or not isinstance(all_signatures, dict):
        return False
    signatures = all_signatures.get(server_name)
    if not isinstance(signatures, dict):
        return False
    for key_id in signatures:
        try:
            key = verify_key_from_base64(key_id, public_key_base64)
        except (ValueError, TypeError):
            continue
        if verify_signature(signed, server_name, key):
            return True
    return False
