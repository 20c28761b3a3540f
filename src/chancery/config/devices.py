"""[devices]: Device control: limits per person, session lifetime, stale devices, approval."""

from __future__ import annotations

from dataclasses import dataclass

from .sections import Section


@dataclass(frozen=True)
class DeviceConfig(Section):
    TABLE = "devices"
