"""Issue 16's conformance areas, wired into the server in one call (`install_conformance`): guest accounts,
the legacy event stream and room previews, room upgrades, server-side search, spaces, room summaries,
jumping to a date, content reports, OpenID and login tokens, TURN credentials and whois."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .accounts.guests import GuestService
from .conformance.reports import ReportService
from .conformance.tokens import ShortLivedTokenService
from .conformance.voip import TurnService
from .conformance.whois import WhoisService
from .legacy.event_stream import EventStreamService
from .legacy.initial_sync import InitialSyncService
from .rooms.timestamps import TimestampService
from .rooms.upgrade import RoomUpgradeService, refuse_self_tombstone
from .search import SearchService
from .spaces.hierarchy import HierarchyService
from .spaces.summary import RoomSummaryService

if TYPE_CHECKING:
    from .container import Services


def install_conformance(services: Services) -> None:
    storage, clock, config = services.storage, services.clock, services.config
    services.guests = GuestService(
        storage,
        services.auth,
        services.room_events,
        clock,
        services.randomness,
        server_name=config.server_name,
        enabled=config.access.guest_access,
    )
    services.room_events.committed_listeners.append(services.guests.on_committed)
    services.event_stream = EventStreamService(
        storage, clock, services.notifier, services.serializer, services.visibility
    )
    services.initial_sync = InitialSyncService(storage, clock, services.serializer, services.visibility)
    services.upgrades = RoomUpgradeService(
        storage, services.room_events, services.rooms, services.push_rules, services.notifier
    )
    services.room_events.committed_listeners.append(services.upgrades.on_committed)
    services.room_events.event_checks.append(refuse_self_tombstone)
    services.search = SearchService(storage, services.serializer, services.visibility)
    services.hierarchy = HierarchyService(storage, services.directory, services.visibility)
    services.summaries = RoomSummaryService(storage, services.rooms, services.directory, services.visibility)
    services.timestamps = TimestampService(storage, services.visibility)
    services.reports = ReportService(storage, clock, services.visibility, services.profile, services.audit)
    services.short_lived_tokens = ShortLivedTokenService(
        storage,
        clock,
        services.randomness,
        server_name=config.server_name,
        audit=services.audit,
        login_token_lifetime_ms=config.access.login_token_lifetime * 1000 if config.access.login_tokens else None,
    )
    # A deactivated account's OpenID and login tokens die with its access tokens.
    services.accounts.deactivation_hooks.append(storage.short_lived_tokens.delete_for_user)
    services.turn = TurnService(config.turn, clock)
    services.whois = WhoisService(storage, services.audit)
