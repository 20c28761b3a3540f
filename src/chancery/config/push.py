"""[push]: Push notifications through HTTP push gateways."""

from __future__ import annotations

from dataclasses import dataclass

from .sections import Section


@dataclass(frozen=True)
class PushConfig(Section):
    TABLE = "push"
