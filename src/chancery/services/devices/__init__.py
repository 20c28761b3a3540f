"""Device control (issue 14), wired into the server in one call (`install_devices`): the device limit,
session lifetime and refresh tokens, approval of new devices, last use and stale devices, remote wipe."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..periodic import Periodic
from .activity import FLUSH_INTERVAL_S, STALE_CHECK_INTERVAL_S, DeviceActivity
from .approval import ApprovalService
from .sessions import SessionControl
from .standing import DeviceStanding
from .wipe import WipeService

if TYPE_CHECKING:
    from ..container import Services


@dataclass
class DeviceServices:
    sessions: SessionControl
    standing: DeviceStanding
    activity: DeviceActivity
    approval: ApprovalService
    wipes: WipeService

    def background_jobs(self) -> list[Periodic]:
        return [
            Periodic("device-last-seen", FLUSH_INTERVAL_S, self.activity.flush),
            Periodic("stale-devices", STALE_CHECK_INTERVAL_S, self.activity.purge_stale),
        ]


def install_devices(services: Services) -> DeviceServices:
    config = services.config.devices
    storage, clock = services.storage, services.clock
    sessions = SessionControl(storage, clock, services.randomness, config, services.auth)
    wipes = WipeService(
        storage, clock, services.notifier, services.accounts, services.audit, server_name=services.config.server_name
    )
    devices = DeviceServices(
        sessions=sessions,
        standing=DeviceStanding(clock, wipes),
        activity=DeviceActivity(storage, clock, services.accounts, config),
        approval=ApprovalService(storage, services.auth, services.audit),
        wipes=wipes,
    )
    services.devices = devices
    services.auth.session_hooks.append(sessions.on_new_session)
    services.accounts.device_deletion_hooks.append(sessions.delete_device_refresh_tokens)
    services.sync.extensions.append(devices.activity.note_sync)
    return devices
