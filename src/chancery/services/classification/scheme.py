"""The configured scheme as the policy sees it, and as GET /_chancery/client/v1/classification shows it."""

from __future__ import annotations

from typing import Any

from ...config.classification import ClassificationConfig
from ...policy.classification import Clearance, Marking, Scheme
from ...storage.classification import ClearanceRow, MarkingRow


def scheme_of(config: ClassificationConfig) -> Scheme | None:
    """None when no levels are configured: classification is then only a label."""
    if not config.levels:
        return None
    return Scheme(
        tuple(level.name for level in config.levels),
        frozenset(config.caveats),
        config.default_level,
        config.accredited_devices_above,
    )


def clearance_of(row: ClearanceRow | None) -> Clearance | None:
    return None if row is None else Clearance(row.level, frozenset(row.caveats), row.expires_ts)


def marking_from_row(row: MarkingRow) -> Marking:
    return Marking(row.level, frozenset(row.caveats))


def row_of(marking: Marking) -> MarkingRow:
    return MarkingRow(marking.level, tuple(sorted(marking.caveats)))


def clearance_json(row: ClearanceRow | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"level": row.level, "caveats": list(row.caveats), "expires_ts": row.expires_ts}


def describe(config: ClassificationConfig, clearance: ClearanceRow | None) -> dict[str, Any]:
    """The scheme endpoint's body: levels ascending, caveats, the default level, the viewer's clearance."""
    return {
        "levels": [
            {"name": lv.name, "colour": lv.colour, "watermark": lv.watermark, "allow_export": lv.allow_export}
            for lv in config.levels
        ],
        "caveats": list(config.caveats),
        "default_level": config.default_level,
        "clearance": clearance_json(clearance),
    }
