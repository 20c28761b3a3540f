"""Provisioning plans (pure): what a source's list of people changes, and nothing when it matches."""

from __future__ import annotations

from chancery.services.directory.plan import Account, describe, is_mass_deactivation, plan
from chancery.storage.directory import ManagedPerson, Person

ANA = Person("@ana:x", "Ana", "Min/Unit", "Analyst")
BEN = Person("@ben:x", "Ben")


def managed(person: Person, source: str = "csv", deactivated: bool = False) -> ManagedPerson:
    return ManagedPerson(person, source, deactivated)


def test_matching_source_plans_nothing() -> None:
    accounts = {ANA.user_id: Account(False, "csv", ANA)}
    assert plan("csv", [ANA], accounts, {ANA.user_id: managed(ANA)}) == []
    assert describe([]) == ["No changes"]


def test_creations_updates_adoptions_reactivations_and_deactivations() -> None:
    promoted = Person("@ana:x", "Ana", "Min/Unit", "Head")
    carl, dora = Person("@carl:x", "Carl"), Person("@dora:x", "Dora")
    accounts = {
        ANA.user_id: Account(False, "csv", ANA),
        carl.user_id: Account(False, None, None),  # an account nobody provisioned: adopted
        dora.user_id: Account(True, "csv", dora),  # listed again: re-activated
    }
    current = {ANA.user_id: managed(ANA), dora.user_id: managed(dora, deactivated=True), BEN.user_id: managed(BEN)}
    steps = plan("csv", [promoted, carl, dora, Person("@eve:x")], accounts, current)
    assert [(s.kind, s.person.user_id) for s in steps] == [
        ("update", "@ana:x"),
        ("update", "@carl:x"),
        ("reactivate", "@dora:x"),
        ("create", "@eve:x"),
        ("deactivate", "@ben:x"),
    ]
    assert steps[0].changes == (("position", "Analyst", "Head"),)
    assert "    position: 'Analyst' -> 'Head'" in describe(steps)
    assert describe(steps)[-1] == "1 to create, 2 to update, 1 to reactivate, 1 to deactivate"


def test_other_sources_people_are_not_deactivated() -> None:
    assert plan("ldap", [], {}, {}) == []  # `managed` holds only the source's own people


def test_mass_deactivation_needs_three_and_a_majority() -> None:
    people = {f"@p{i}:x": managed(Person(f"@p{i}:x")) for i in range(6)}
    steps = plan("csv", [], {}, people)
    assert is_mass_deactivation(steps, people)
    assert not is_mass_deactivation(steps[:3], people)  # 3 of 6: not more than half
    few = dict(list(people.items())[:2])
    assert not is_mass_deactivation(plan("csv", [], {}, few), few)  # 2 of 2: fewer than 3
