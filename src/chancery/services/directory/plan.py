"""Provisioning plans, pure: what to change so that the accounts match a source (CSV file, LDAP directory)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Literal

from ...storage.directory import PERSON_FIELDS, ManagedPerson, Person

ChangeKind = Literal["create", "update", "reactivate", "deactivate"]


@dataclass(frozen=True)
class Step:
    kind: ChangeKind
    person: Person
    # field -> (old, new) for what differs (every set field for a creation).
    changes: tuple[tuple[str, object, object], ...] = ()


@dataclass(frozen=True)
class Account:
    """An account that exists, and who provisioned it (None: not the directory)."""

    deactivated: bool
    source: str | None
    person: Person | None


def field_changes(old: Person | None, new: Person) -> tuple[tuple[str, object, object], ...]:
    values_new = {f.name: getattr(new, f.name) for f in fields(new)}
    values_old = {f.name: getattr(old, f.name) for f in fields(old)} if old else dict.fromkeys(PERSON_FIELDS)
    if old is None:
        values_old["external"] = False
    return tuple(
        (name, values_old[name], values_new[name]) for name in PERSON_FIELDS if values_old[name] != values_new[name]
    )


def plan(
    source: str, wanted: list[Person], accounts: dict[str, Account], managed: dict[str, ManagedPerson]
) -> list[Step]:
    """The steps that make the accounts match `wanted`, in order: creations, re-activations and updates, then
    deactivations of the people this source provisioned and no longer lists. `accounts` holds the existing
    accounts among the wanted; `managed` every person this source provisioned. An empty plan: nothing to do."""
    steps = []
    for person in wanted:
        account = accounts.get(person.user_id)
        if account is None:
            steps.append(Step("create", person, field_changes(None, person)))
            continue
        changes = field_changes(account.person, person)
        if account.deactivated:
            steps.append(Step("reactivate", person, changes))
        elif changes or account.source != source:
            steps.append(Step("update", person, changes))
    listed = {person.user_id for person in wanted}
    for user_id, record in managed.items():
        if user_id not in listed and not record.deactivated:
            steps.append(Step("deactivate", record.person))
    return steps


_SIGNS = {"create": "+", "update": "~", "reactivate": "^", "deactivate": "-"}


def describe(steps: list[Step]) -> list[str]:
    """The diff printed before a plan is applied: one line a step, then its changed fields."""
    lines = []
    for step in steps:
        lines.append(f"{_SIGNS[step.kind]} {step.kind} {step.person.user_id}")
        lines.extend(f"    {name}: {old!r} -> {new!r}" for name, old, new in step.changes)
    counts = {kind: sum(1 for s in steps if s.kind == kind) for kind in _SIGNS}
    lines.append(", ".join(f"{n} to {kind}" for kind, n in counts.items()) if steps else "No changes")
    return lines


def is_mass_deactivation(steps: list[Step], managed: dict[str, ManagedPerson]) -> bool:
    """Whether a plan deactivates at least 3 people and more than half of those the source keeps active: what a
    wrong base DN or a truncated file looks like, so it needs the operator's explicit go-ahead."""
    leaving = sum(1 for step in steps if step.kind == "deactivate")
    active = sum(1 for record in managed.values() if not record.deactivated)
    return leaving >= 3 and leaving * 2 > active
