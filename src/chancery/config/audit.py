"""[audit]: The tamper-evident audit log: checkpoints, signing key, its own retention."""

from __future__ import annotations

from dataclasses import dataclass

from .sections import ConfigError, Section


@dataclass(frozen=True)
class AuditConfig(Section):
    TABLE = "audit"
    TEMPLATE = """\
[audit]
# Every security-relevant action is written to a hash-chained audit log (docs/audit.md).
# A signed checkpoint (the chain's last hash, signed with ed25519) is written every this many entries ...
checkpoint_every = 1000
# ... and, when entries were added since the last one, at least this often (seconds; 0: only by count).
checkpoint_seconds = 3600
# The ed25519 key file that signs checkpoints (relative to the data directory; created at the first start
# when missing, in the format of the server's signing.key); empty: the server's own signing key.
signing_key_path = ""
# Delete audit entries older than this many days (0: keep them forever). Entries are deleted only up to a
# checkpoint, which then anchors the remaining chain, so `chancery audit verify` keeps passing.
retention_days = 0
"""

    checkpoint_every: int = 1000
    checkpoint_seconds: int = 3600
    signing_key_path: str = ""
    retention_days: int = 0

    def __post_init__(self) -> None:
        if self.checkpoint_every < 1:
            raise ConfigError("audit.checkpoint_every must be at least 1")
        if self.checkpoint_seconds < 0 or self.retention_days < 0:
            raise ConfigError("audit.checkpoint_seconds and audit.retention_days must not be negative")
