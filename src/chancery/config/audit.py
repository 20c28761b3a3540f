"""[audit]: The tamper-evident audit log: checkpoints, signing key, its own retention."""

from __future__ import annotations

from dataclasses import dataclass

from .sections import Section


@dataclass(frozen=True)
class AuditConfig(Section):
    TABLE = "audit"
