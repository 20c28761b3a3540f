"""Retention, legal hold and spillage (issue 14), wired into the server in one call (`install_retention`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..periodic import Periodic
from .holds import LegalHoldService
from .policies import RetentionPolicyService
from .purge import RetentionPurge
from .spillage import SpillageService

if TYPE_CHECKING:
    from ..container import Services


@dataclass
class RetentionServices:
    policies: RetentionPolicyService
    purge: RetentionPurge
    holds: LegalHoldService
    spillage: SpillageService
    run_purge: bool
    interval_s: float

    def background_jobs(self) -> list[Periodic]:
        return [Periodic("retention-purge", self.interval_s, self.purge.run)] if self.run_purge else []


def install_retention(services: Services) -> RetentionServices:
    config = services.config
    storage, clock = services.storage, services.clock
    policies = RetentionPolicyService(storage, clock, config.retention, services.audit)
    retention = RetentionServices(
        policies=policies,
        purge=RetentionPurge(
            storage,
            clock,
            services.notifier,
            config.retention,
            policies,
            services.media.disk,
            services.audit,
            server_name=config.server_name,
        ),
        holds=LegalHoldService(storage, clock, services.audit),
        spillage=SpillageService(
            storage,
            clock,
            services.notifier,
            services.room_events,
            services.serializer,
            services.devices.activity,
            services.media.disk,
            services.audit,
            server_name=config.server_name,
        ),
        run_purge=config.retention.purge,
        interval_s=float(config.retention.interval_s),
    )
    services.retention = retention
    return retention
