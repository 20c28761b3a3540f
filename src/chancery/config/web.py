"""[web]: The bundled web client served at /."""

from __future__ import annotations

from dataclasses import dataclass

from .sections import Section


@dataclass(frozen=True)
class WebClientConfig(Section):
    TABLE = "web"
