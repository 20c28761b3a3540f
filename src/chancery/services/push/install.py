"""Pushers, `GET /notifications` and push delivery, wired into the server in one call (`install_push`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .notifications import NotificationService
from .pushers import PusherService
from .sender import PushSender
from .unread import UnreadCounter
from .user_rules import UserRuleFilter

if TYPE_CHECKING:
    from ..container import Services


def install_push(services: Services) -> None:
    storage, clock, config = services.storage, services.clock, services.config.push
    services.pushers = PusherService(storage, clock, services.randomness, config)
    services.notifications = NotificationService(storage, services.serializer, services.visibility)
    # Built here, started by the server (app.create_server): command-line tools never deliver.
    services.push_sender = PushSender(
        storage, clock, services.notifier, config, UnreadCounter(storage), UserRuleFilter(storage, services.room_events)
    )
    accounts = services.accounts
    accounts.device_deletion_hooks.append(services.pushers.on_devices_deleted)
    accounts.deactivation_hooks.append(services.pushers.on_deactivated)
    accounts.password_changed_listeners.append(services.pushers.on_password_changed)
