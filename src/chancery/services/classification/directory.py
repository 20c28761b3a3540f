"""Clearances taken from the directory import ([classification] clearances_from_directory).

The directory owns the clearances it set (set_by "directory:<source>"): a changed row replaces them, an
empty clearance_level revokes them. Clearances a security officer set are never touched by an import.
"""

from __future__ import annotations

from ...config.classification import ClassificationConfig
from ...policy.classification import Scheme
from ...storage.directory import Person
from ..audit import Actor
from ..audit.actor import acting_as
from ..directory.plan import Step
from .clearances import ClearanceService

CLEARANCE_FIELDS = ("clearance_level", "clearance_caveats", "clearance_expires_ts")


class DirectoryClearances:
    def __init__(self, clearances: ClearanceService, config: ClassificationConfig, scheme: Scheme | None) -> None:
        self.clearances = clearances
        self.enabled = config.clearances_from_directory
        self.scheme = scheme

    def check_people(self, people: list[Person]) -> list[str]:
        """Problems with the clearances a source gives (before anything changes)."""
        given = [p for p in people if p.clearance_level is not None]
        if not given:
            return []
        if not self.enabled or self.scheme is None:
            return ["the source gives clearances: set [classification] clearances_from_directory = true (and levels)"]
        problems = []
        for person in given:
            if person.clearance_level and person.clearance_level not in self.scheme.levels:
                problems.append(f"{person.user_id}: clearance_level {person.clearance_level!r} is not a level")
            unknown = sorted(set(_caveats(person)) - self.scheme.caveats)
            if unknown:
                problems.append(f"{person.user_id}: unknown clearance caveats {', '.join(unknown)}")
        return problems

    async def on_person(self, source: str, step: Step, actor: Actor) -> None:
        """After a person's provisioning step: apply the clearance the source gives, if it changed."""
        person = step.person
        if step.kind == "deactivate" or person.clearance_level is None:
            return
        if not any(name in CLEARANCE_FIELDS for name, _, _ in step.changes):
            return
        owner = f"directory:{source}"
        with acting_as(actor):
            if person.clearance_level:
                await self.clearances.set_clearance(
                    person.user_id, person.clearance_level, _caveats(person), person.clearance_expires_ts, owner
                )
                return
            current = await self.clearances.storage.classification.clearance(person.user_id)
            if current is not None and current.set_by == owner:
                await self.clearances.revoke_clearance(person.user_id)


def _caveats(person: Person) -> list[str]:
    return [c for c in (person.clearance_caveats or "").split(";") if c]
