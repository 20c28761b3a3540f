"""[http]: The HTTP front: trusted reverse proxies and the access log."""

from __future__ import annotations

from dataclasses import dataclass

from .sections import Section


@dataclass(frozen=True)
class HttpConfig(Section):
    TABLE = "http"
