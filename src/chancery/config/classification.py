"""[classification]: Classification levels, caveats and the rules that keep rooms closed to the uncleared."""

from __future__ import annotations

from dataclasses import dataclass

from .sections import Section


@dataclass(frozen=True)
class ClassificationConfig(Section):
    TABLE = "classification"
