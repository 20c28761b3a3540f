"""[directory]: The institution's directory: provisioning sources, locked profiles, search scope, account lifecycle."""

from __future__ import annotations

from dataclasses import dataclass

from .sections import Section


@dataclass(frozen=True)
class DirectoryConfig(Section):
    TABLE = "directory"
