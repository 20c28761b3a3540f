"""Provisioning: make the accounts match the institution's directory (CSV file or LDAP), idempotently."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

from ...clock import Clock
from ...errors import invalid_param, not_found
from ...storage import Storage
from ...storage.directory import Person
from ..accounts.service import AccountService
from ..audit import Actor, AuditLog
from ..rooms.service import RoomService
from .lifecycle import LifecycleService, actor_name
from .plan import Account, Step, field_changes, is_mass_deactivation, plan
from .sources import SourceError

# Other features' use of what a source says about people (e.g. clearances, issue 12): a check of the wanted
# people before anything changes (problems listed, nothing done), and an action after each person's step.
PeopleCheck = Callable[[list[Person]], list[str]]
PersonListener = Callable[[str, Step, Actor], Awaitable[None]]


class ProvisioningService:
    def __init__(
        self,
        storage: Storage,
        accounts: AccountService,
        lifecycle: LifecycleService,
        rooms: RoomService,
        clock: Clock,
        audit: AuditLog,
    ) -> None:
        self.storage = storage
        self.accounts = accounts
        self.lifecycle = lifecycle
        self.rooms = rooms
        self.clock = clock
        self.audit = audit
        self.people_checks: list[PeopleCheck] = []
        self.person_listeners: list[PersonListener] = []

    async def is_mass_deactivation(self, source: str, steps: list[Step]) -> bool:
        return is_mass_deactivation(steps, await self.storage.people.people_of(source))

    async def plan(self, source: str, wanted: list[Person]) -> list[Step]:
        """What would change (nothing is changed); SourceError when a check refuses the wanted people."""
        problems = [problem for check in self.people_checks for problem in check(wanted)]
        if problems:
            raise SourceError(problems)
        found = await self.storage.people.accounts_among([person.user_id for person in wanted])
        accounts = {
            user_id: Account(deactivated, managed.source if managed else None, managed.person if managed else None)
            for user_id, (deactivated, managed) in found.items()
        }
        return plan(source, wanted, accounts, await self.storage.people.people_of(source))

    async def apply(self, source: str, steps: list[Step], actor: Actor) -> None:
        """Carry out a plan, step by step (each step its own transaction: a failure part-way leaves the steps
        done so far, and the next run plans only what is left)."""
        for step in steps:
            user_id = step.person.user_id
            if step.kind == "deactivate":
                await self.lifecycle.deactivate(user_id, actor)
                continue
            if step.kind == "create":
                # No password: the person logs in through LDAP, or an administrator sets one.
                await self.accounts.create_account(user_id, None, actor=actor)
            elif step.kind == "reactivate":
                await self.lifecycle.reactivate(user_id, actor)
            await self._record_person(source, step, actor)
            for listener in self.person_listeners:
                await listener(source, step, actor)
        await self.audit.record_alone(
            actor,
            f"directory.{'sync' if source == 'ldap' else 'import'}",
            source,
            details={
                kind: sum(1 for s in steps if s.kind == kind)
                for kind in ("create", "update", "reactivate", "deactivate")
            },
        )

    async def set_person(self, person: Person, actor: Actor) -> list[tuple[str, object, object]]:
        """An administrator sets what the directory says about an existing account (one no source provisioned
        gets source "admin"). Returns the changed fields."""
        found = (await self.storage.people.accounts_among([person.user_id])).get(person.user_id)
        if found is None:
            raise not_found("Unknown user")
        deactivated, managed = found
        if deactivated:
            raise invalid_param("The account is deactivated")
        if managed is not None:  # the clearance a source gave stays: it is not the administrator's to set here
            old = managed.person
            person = replace(
                person,
                clearance_level=old.clearance_level,
                clearance_caveats=old.clearance_caveats,
                clearance_expires_ts=old.clearance_expires_ts,
            )
        step = Step("update", person, field_changes(managed.person if managed else None, person))
        # A provisioned person stays the source's (its next run sets its values again, and may deactivate them).
        await self._record_person(managed.source if managed else "admin", step, actor)
        return list(step.changes)

    async def _record_person(self, source: str, step: Step, actor: Actor) -> None:
        person, now, who = step.person, self.clock.now_ms(), actor_name(actor)
        async with self.storage.db.transaction() as txn:
            if person.organisation:
                for path in await self.storage.people.ensure_organisation(txn, person.organisation, now):
                    await self.storage.people.record_change(txn, now, who, path, "organisation", None, "created")
            await self.storage.people.put_person(txn, person, source, now)
            for name, old, new in step.changes:
                await self.storage.people.record_change(txn, now, who, person.user_id, name, _text(old), _text(new))
            await self.audit.record(
                txn,
                actor,
                "directory.update",
                person.user_id,
                details={"source": source, "fields": [c[0] for c in step.changes]},
            )
        if step.kind != "create" and any(name == "display_name" for name, _, _ in step.changes):
            await self.rooms.update_profile_in_rooms(person.user_id)


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
