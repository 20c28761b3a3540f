"""End-to-end encryption support, wired into the server in one call (`install_e2e`).

Builds the key, cross-signing, device-list, to-device and key-backup services, adds their /sync sections,
their device-deletion hooks and the rule that keeps an encrypted room encrypted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...errors import forbidden
from ...events.builder import redacted_event_id
from ...events.room_versions import RoomVersion
from ...storage.e2e import delete_user_e2e_data
from ..rooms.state_cache import StateMap
from .cross_signing import CrossSigningService
from .device_lists import DeviceListService
from .key_backup import KeyBackupService
from .keys import E2eKeyService
from .to_device import ToDeviceService

if TYPE_CHECKING:
    from ..container import Services

ENCRYPTION = ("m.room.encryption", "")


@dataclass
class E2eServices:
    keys: E2eKeyService
    cross_signing: CrossSigningService
    device_lists: DeviceListService
    to_device: ToDeviceService
    key_backup: KeyBackupService


def install_e2e(services: Services) -> E2eServices:
    storage = services.storage
    device_lists = DeviceListService(storage, services.notifier)
    e2e = E2eServices(
        keys=E2eKeyService(storage, device_lists, services.notifier),
        cross_signing=CrossSigningService(storage, services.uia, device_lists, services.audit),
        device_lists=device_lists,
        to_device=ToDeviceService(storage, services.clock, services.notifier),
        key_backup=KeyBackupService(storage, services.audit),
    )
    services.e2e = e2e
    services.sync.extensions += [
        e2e.to_device.sync_extension,
        e2e.device_lists.sync_extension,
        e2e.keys.sync_extension,
    ]
    services.accounts.device_deletion_hooks += [
        e2e.keys.delete_device_keys,
        e2e.to_device.delete_device_messages,
        e2e.device_lists.on_devices_changed,
    ]
    services.accounts.device_deleted_listeners.append(e2e.device_lists.after_devices_changed)
    services.accounts.device_renamed_hooks.append(e2e.device_lists.on_devices_changed)
    services.accounts.device_renamed_listeners.append(e2e.device_lists.after_devices_changed)
    services.accounts.deactivation_hooks.append(delete_user_e2e_data)
    services.room_events.event_checks.append(check_encryption_kept)
    return e2e


def check_encryption_kept(event: dict[str, Any], state: StateMap, version: RoomVersion) -> None:
    """Once a room has m.room.encryption, nobody may change or remove it (which would let messages
    go out in the clear, or with a weaker algorithm, without members noticing)."""
    current = state.get(ENCRYPTION)
    if current is None:
        return
    if (event.get("type"), event.get("state_key")) == ENCRYPTION and event.get("content") != current.get("content"):
        raise forbidden("The encryption settings of an encrypted room cannot be changed")
    if event.get("type") == "m.room.redaction" and redacted_event_id(event) == current.get("event_id"):
        raise forbidden("The encryption event of an encrypted room cannot be redacted")
