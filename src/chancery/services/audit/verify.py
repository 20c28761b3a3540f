"""Verifying the audit chain, in the database or offline from an export, and writing that export.

An export is JSON Lines: an `anchor` line (where the exported chain starts: seq 0 and the genesis hash, or a
signed checkpoint), the signed `checkpoint`s from there on, every `entry` in seq order, and an `end` line
(the chain's recorded end when exported). With the audit public key it proves the log complete and unedited
up to its last checkpoint, without access to the server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from ...events.audit_chain import GENESIS_HASH, ChainBreak, ChainVerifier, Entry, checkpoint_signed_by
from ...storage import Storage


@dataclass
class Verification:
    entries: int = 0
    checkpoints: int = 0
    last_seq: int = 0
    broken: ChainBreak | None = None

    @property
    def ok(self) -> bool:
        return self.broken is None


@dataclass
class _Run:
    """One verification: anchor, then checkpoints, then entries, then the end; the first break wins."""

    public_key: str | None
    result: Verification = field(default_factory=Verification)
    signed: dict[int, str] = field(default_factory=dict)
    anchor: tuple[int, str] = (0, GENESIS_HASH)
    verifier: ChainVerifier | None = None
    chain_broken: bool = False

    def fail(self, seq: int, problem: str) -> None:
        if self.result.broken is None or seq < self.result.broken.seq:
            self.result.broken = ChainBreak(seq, problem)

    def add_checkpoint(self, signed: Any) -> None:
        seq, hash_ = (signed.get("seq"), signed.get("hash")) if isinstance(signed, dict) else (None, None)
        if not isinstance(seq, int) or not isinstance(hash_, str):
            self.fail(self.anchor[0] + 1, "a checkpoint is malformed")
            return
        if self.public_key is not None and not checkpoint_signed_by(signed, self.public_key):
            self.fail(seq, "the checkpoint's signature does not verify with the audit public key")
            return
        self.signed[seq] = hash_
        self.result.checkpoints += 1

    def start_entries(self) -> ChainVerifier:
        if self.verifier is None:
            anchor_seq, anchor_hash = self.anchor
            if anchor_seq > 0 and self.signed.get(anchor_seq) != anchor_hash:
                self.fail(anchor_seq + 1, "the chain's anchor is not a signed checkpoint")
            self.verifier = ChainVerifier(
                anchor_seq, anchor_hash, {s: h for s, h in self.signed.items() if s > anchor_seq}
            )
        return self.verifier

    def add_entry(self, entry: Entry) -> bool:
        """False once the chain is broken (later entries say nothing more)."""
        broken = self.start_entries().feed(entry)
        if broken is not None:
            self.fail(broken.seq, broken.problem)
            self.chain_broken = True
            return False
        self.result.entries += 1
        self.result.last_seq = entry.seq
        return True

    def end(self, seq: int, hash_: str) -> Verification:
        verifier = self.start_entries()
        if not self.chain_broken:
            broken = verifier.finish(seq, hash_)
            if broken is not None:
                self.fail(broken.seq, broken.problem)
        return self.result


async def verify_log(storage: Storage, public_key: str | None) -> Verification:
    """Verify the chain in the database (checkpoint signatures with `public_key`, base64 ed25519)."""
    end_seq, end_hash, anchor_seq, anchor_hash = await storage.audit.tail()
    run = _Run(public_key, anchor=(anchor_seq, anchor_hash))
    for signed in reversed(await storage.audit.checkpoints(limit=2**31)):
        run.add_checkpoint(signed)
    async for entry in storage.audit.entries(after=-1):
        if not run.add_entry(entry):
            break
    return run.end(end_seq, end_hash)


def verify_export(lines: Iterable[str | bytes], public_key: str | None) -> Verification:
    """Verify an export offline."""
    run = _Run(public_key)
    ended: tuple[int, str] | None = None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = orjson.loads(line)
            kind = item["kind"] if isinstance(item, dict) else None
            if number == 1 and kind != "anchor":
                raise ValueError("the export does not start with its anchor")
            if kind == "anchor":
                run.anchor = (int(item["seq"]), str(item["hash"]))
            elif kind == "checkpoint":
                run.add_checkpoint(item["signed"])
            elif kind == "entry":
                if not run.add_entry(Entry.from_json(item["entry"])):
                    break
            elif kind == "end":
                ended = (int(item["seq"]), str(item["hash"]))
            else:
                raise ValueError(f"unknown line kind {kind!r}")
        except (ValueError, KeyError, TypeError) as exc:
            run.fail(run.result.last_seq + 1, f"line {number}: {exc}")
            return run.result
    if ended is None:
        run.fail(run.result.last_seq + 1, "the export has no end line (truncated)")
        return run.result
    return run.end(*ended)


async def export_log(storage: Storage, since_ts: int | None = None) -> AsyncIterator[dict[str, Any]]:
    """The export's lines. With `since_ts`, it starts at the last checkpoint before the first entry at or after
    that time, so that its anchor is signed."""
    end_seq, end_hash, anchor_seq, anchor_hash = await storage.audit.tail()
    checkpoints = list(reversed(await storage.audit.checkpoints(limit=2**31)))
    if since_ts is not None:
        first = await storage.audit.first_seq_since(since_ts)
        earlier = [c for c in checkpoints if anchor_seq <= c["seq"] < (first if first is not None else end_seq + 1)]
        if earlier:
            anchor_seq, anchor_hash = earlier[-1]["seq"], earlier[-1]["hash"]
    yield {"kind": "anchor", "seq": anchor_seq, "hash": anchor_hash}
    for signed in checkpoints:
        if signed["seq"] >= anchor_seq:
            yield {"kind": "checkpoint", "signed": signed}
    async for entry in storage.audit.entries(after=anchor_seq, upto=end_seq):
        yield {"kind": "entry", "entry": entry.to_json()}
    yield {"kind": "end", "seq": end_seq, "hash": end_hash}
