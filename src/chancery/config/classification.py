"""[classification]: Classification levels, caveats and the rules that keep rooms closed to the uncleared."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .sections import ConfigError, Section

_COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}")


@dataclass(frozen=True)
class ClassificationLevel(Section):
    """One level of the scheme, as the web client shows it."""

    TABLE = "classification.levels"
    name: str = ""
    colour: str = "#4a4f57"
    # Our web client tiles the viewer's name over rooms of this level.
    watermark: bool = False
    # Whether clients may offer copy, forward and download in rooms of this level.
    allow_export: bool = True

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise ConfigError(f"classification.levels: {self.name!r} is not a valid level name")
        if not _COLOUR.fullmatch(self.colour):
            raise ConfigError(f"classification.levels: colour {self.colour!r} of {self.name} is not #rgb or #rrggbb")


@dataclass(frozen=True)
class ClassificationConfig(Section):
    TABLE = "classification"
    TEMPLATE = """\
[classification]
# Levels in ascending order. Without levels the server has no scheme: a room's classification state event is
# then only a label, and nothing is enforced. With a scheme, people need a clearance (set by a security
# officer: `chancery clearance set`) at or above a room's level, holding every caveat of the room.
# levels = [
#     { name = "OFFICIAL", colour = "#2b6cb0" },
#     { name = "RESTRICTED", colour = "#2f855a" },
#     { name = "CONFIDENTIAL", colour = "#b7791f", watermark = true },
#     { name = "SECRET", colour = "#c53030", watermark = true, allow_export = false },
# ]
# Compartments a person must hold all of to enter a room that carries them.
# caveats = ["NATO", "EU"]
# The level of a new room created without an org.chancery.classification in initial_state.
# default_level = "OFFICIAL"
# Rooms above this level are served only to devices an administrator accredited
# (PUT /_chancery/admin/v1/users/{userId}/devices/{deviceId}/accreditation). Unset: no device needs it.
# accredited_devices_above = "RESTRICTED"
# Take clearances from the directory import (`chancery directory import`: CSV columns clearance_level,
# clearance_caveats separated by ";", clearance_expires). A clearance the directory set is replaced or
# revoked by the next import that changes it; clearances set by security officers are left alone.
# clearances_from_directory = false
# How often (seconds) each server process looks for clearances that expired and removes their holders
# from the rooms above what they still hold.
# expiry_sweep_seconds = 1.0
"""
    levels: tuple[ClassificationLevel, ...] = ()
    caveats: tuple[str, ...] = ()
    default_level: str | None = None
    accredited_devices_above: str | None = None
    expiry_sweep_seconds: float = 1.0
    clearances_from_directory: bool = False

    def __post_init__(self) -> None:
        names = [level.name for level in self.levels]
        if len(set(names)) != len(names):
            raise ConfigError("classification.levels: level names must be unique")
        for caveat in self.caveats:
            if not _NAME.fullmatch(caveat):
                raise ConfigError(f"classification.caveats: {caveat!r} is not a valid caveat name")
        if len(set(self.caveats)) != len(self.caveats):
            raise ConfigError("classification.caveats: caveats must be unique")
        for setting in ("default_level", "accredited_devices_above"):
            value = getattr(self, setting)
            if value is not None and value not in names:
                raise ConfigError(f"classification.{setting}: {value!r} is not one of the levels")
        if not 0.05 <= self.expiry_sweep_seconds <= 3600:
            raise ConfigError("classification.expiry_sweep_seconds must be between 0.05 and 3600")
