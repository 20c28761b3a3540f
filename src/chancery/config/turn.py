"""[turn]: TURN servers handed to clients for VoIP (REST credentials from a shared secret)."""

from __future__ import annotations

from dataclasses import dataclass

from .sections import Section


@dataclass(frozen=True)
class TurnConfig(Section):
    TABLE = "turn"
