"""Reading people from provisioning sources: a CSV file, or an LDAP directory (ldap3)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ...errors import MatrixError
from ...storage.directory import Person

# CSV columns; only user_id is required. `organisation` is a path: "Ministry of Finance/Budget/Unit A".
CSV_COLUMNS = ("user_id", "display_name", "organisation", "position", "email", "phone", "external")
# A person's clearance (issue 12), read only with [classification] clearances_from_directory: the level
# (empty: none), caveats separated by ";", and an ISO 8601 expiry date or time (UTC unless it says otherwise).
CLEARANCE_COLUMNS = ("clearance_level", "clearance_caveats", "clearance_expires")
MAX_FIELD = 256
_TRUE = {"yes", "true", "1", "y"}
_FALSE = {"no", "false", "0", "n", ""}


class SourceError(Exception):
    """The source cannot be used as it is; `problems` lists every line at fault, nothing was changed."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def organisation_path(value: str) -> str | None:
    segments = [segment.strip() for segment in value.split("/")]
    if not any(segments):
        return None
    if not all(segments):
        raise ValueError("organisation has an empty segment")
    return "/".join(segments)


def person_from(raw: dict[str, str], user_id_for: Callable[[str], str]) -> Person:
    """One person from a source's text fields (ValueError or MatrixError on bad values)."""
    for name, value in raw.items():
        if len(value) > MAX_FIELD:
            raise ValueError(f"{name} is longer than {MAX_FIELD} characters")
    external = raw.get("external", "").strip().lower()
    if external not in _TRUE | _FALSE:
        raise ValueError("external must be yes or no")

    def text(name: str) -> str | None:
        return raw.get(name, "").strip() or None

    return Person(
        user_id=user_id_for(raw.get("user_id", "").strip()),
        display_name=text("display_name"),
        organisation=organisation_path(raw.get("organisation", "")),
        position=text("position"),
        email=text("email"),
        phone=text("phone"),
        external=external in _TRUE,
        **clearance_fields(raw),
    )


def clearance_fields(raw: dict[str, str]) -> dict[str, Any]:
    """The Person fields of a source's clearance columns; none when the source has no clearance_level."""
    if "clearance_level" not in raw:
        return {}
    level = raw["clearance_level"].strip()
    caveats = sorted({c.strip() for c in raw.get("clearance_caveats", "").split(";") if c.strip()})
    expires = raw.get("clearance_expires", "").strip()
    if not level and (caveats or expires):
        raise ValueError("clearance_caveats and clearance_expires need a clearance_level")
    expires_ts = None
    if expires:
        try:
            moment = datetime.fromisoformat(expires)
        except ValueError:
            raise ValueError("clearance_expires must be an ISO 8601 date or time") from None
        expires_ts = int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp() * 1000)
    return {
        "clearance_level": level,
        "clearance_caveats": ";".join(caveats) or None,
        "clearance_expires_ts": expires_ts,
    }


def collect(rows: Iterable[tuple[str, dict[str, str]]], user_id_for: Callable[[str], str]) -> list[Person]:
    """Every person of (where, fields) rows, or SourceError naming every bad or repeated row."""
    people: list[Person] = []
    seen: dict[str, str] = {}
    problems = []
    for where, raw in rows:
        try:
            person = person_from(raw, user_id_for)
        except MatrixError as exc:
            problems.append(f"{where}: {exc.error}")
            continue
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        if person.user_id in seen:
            problems.append(f"{where}: {person.user_id} is already listed at {seen[person.user_id]}")
            continue
        seen[person.user_id] = where
        people.append(person)
    if problems:
        raise SourceError(problems)
    return people


def read_csv(path: Path, user_id_for: Callable[[str], str]) -> list[Person]:
    """People from a CSV file with a header row (UTF-8, a BOM allowed)."""
    with path.open(encoding="utf-8-sig", newline="") as file:
        reader = csv.DictReader(file)
        header = reader.fieldnames or []
        unknown = [name for name in header if name not in CSV_COLUMNS + CLEARANCE_COLUMNS]
        if "user_id" not in header or unknown:
            raise SourceError(
                [f"{path}: the header must name user_id and only these columns: {', '.join(CSV_COLUMNS)}"]
                + ([f"unknown columns: {', '.join(unknown)}"] if unknown else [])
            )
        rows = []
        for raw in reader:
            if None in raw:
                raise SourceError([f"{path}:{reader.line_num}: more fields than the header names"])
            rows.append((f"{path.name}:{reader.line_num}", {k: v or "" for k, v in raw.items()}))
    return collect(rows, user_id_for)
