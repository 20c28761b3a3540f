"""[access]: Who may use which client endpoints without an account or outside shared rooms."""

from __future__ import annotations

from dataclasses import dataclass

from .sections import Section


@dataclass(frozen=True)
class AccessConfig(Section):
    TABLE = "access"
