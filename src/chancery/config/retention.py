"""[retention]: Message retention per classification level, and the purge job."""

from __future__ import annotations

from dataclasses import dataclass

from .sections import Section


@dataclass(frozen=True)
class RetentionConfig(Section):
    TABLE = "retention"
