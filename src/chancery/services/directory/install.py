"""The institution's directory (issue 11), wired into the server in one call: lifecycle holds, password
policy and hashing cost, validity of new accounts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..accounts.auth import make_hasher
from .audit_port import AuditPort
from .lifecycle import LifecycleService
from .passwords import PasswordPolicy

if TYPE_CHECKING:
    from ..container import Services


def install_directory(services: Services) -> None:
    config = services.config.directory
    audit = AuditPort()  # services.audit once the audit log is merged
    accounts = services.accounts
    accounts.hasher = make_hasher(config.argon2_time_cost, config.argon2_memory_kib)
    accounts.password_checks.append(PasswordPolicy(config, audit).check)
    services.lifecycle = LifecycleService(services.storage, accounts, services.auth, services.clock, config, audit)
    accounts.creation_hooks.append(services.lifecycle.on_account_created)
