"""Wires simplified sliding sync into the server in one call (`install_sliding_sync`), after the e2e services."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .extensions import Extensions
from .room_results import RoomResults
from .service import SlidingSyncService

if TYPE_CHECKING:
    from ..container import Services


def install_sliding_sync(services: Services) -> SlidingSyncService:
    sync = services.sync
    joined_rooms = sync.joined_rooms
    results = RoomResults(
        services.storage,
        services.serializer,
        services.visibility,
        joined_rooms.unread,
        sync.stripped_state,
        joined_rooms.recent_events,
    )
    extensions = Extensions(services.storage, services.clock, services.notifier, sync, services.e2e)
    sliding_sync = SlidingSyncService(
        services.storage, services.clock, services.randomness, services.notifier, sync, results, extensions
    )
    services.sliding_sync = sliding_sync
    services.accounts.device_deletion_hooks.append(sliding_sync.delete_device_connections)
    return sliding_sync
