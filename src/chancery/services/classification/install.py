"""Wiring classified rooms into the server (`install_classification`, one call from app.build_services).

Without a scheme only the external-account rules run (a few event types, never messages); with one, the
classification checks join them, and only a server requiring device accreditation filters /sync and reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...policy.classification import ACCESS_RULE_EVENT, CLASSIFICATION_EVENT
from .clearances import ClearanceService
from .directory import DirectoryClearances
from .reads import ReadGate
from .room_rules import RoomRules
from .scheme import scheme_of

if TYPE_CHECKING:
    from ..container import Services


def install_classification(services: Services) -> None:
    config = services.config.classification
    scheme = scheme_of(config)
    rules = RoomRules(
        services.storage, services.clock, scheme, server_name=services.config.server_name, audit=services.audit
    )
    room_events = services.room_events
    room_events.async_event_checks += [rules.check_external_rules, rules.check_invite_permission]
    room_events.event_auditors.setdefault(ACCESS_RULE_EVENT, []).append(rules.audit_access_rule)
    services.classification = ClearanceService(
        services.storage, services.clock, services.notifier, room_events, rules, config, scheme, services.audit
    )
    services.accounts.device_deletion_hooks.append(services.classification.forget_devices)
    directory = DirectoryClearances(services.classification, config, scheme)
    services.provisioning.people_checks.append(directory.check_people)
    services.provisioning.person_listeners.append(directory.on_person)
    if scheme is None:
        return
    room_events.async_event_checks.append(rules.check_classification_rules)
    room_events.append_hooks.append(rules.after_append)
    room_events.event_auditors.setdefault(CLASSIFICATION_EVENT, []).append(rules.audit_classification)
    if scheme.default_level is not None:
        services.rooms.default_state.append((CLASSIFICATION_EVENT, "", {"level": scheme.default_level}))
    gate = ReadGate(services.storage, services.notifier, scheme, services.clock)
    services.media.read_checks.append(gate.check_media)
    if scheme.accredited_devices_above is not None:
        services.visibility.device_gate = gate
