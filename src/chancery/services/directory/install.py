"""The institution's directory (issue 11), wired into the server in one call: lifecycle holds, password
policy and hashing cost, validity of new accounts, provisioning, LDAP-bind login."""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path
from typing import TYPE_CHECKING

from ...config.directory import DirectoryConfig
from ...config.sections import ConfigError
from ...events.identifiers import localpart_of
from ..accounts.auth import make_hasher
from .ldap_source import LdapSettings, check_ldap_password
from .lifecycle import LifecycleService
from .passwords import PasswordPolicy
from .provisioning import ProvisioningService

if TYPE_CHECKING:
    from ..container import Services


def install_directory(services: Services) -> None:
    config = services.config.directory
    audit = services.audit
    accounts = services.accounts
    accounts.hasher = make_hasher(config.argon2_time_cost, config.argon2_memory_kib)
    accounts.password_checks.append(PasswordPolicy(config, audit).check)
    services.lifecycle = LifecycleService(services.storage, accounts, services.auth, services.clock, config, audit)
    accounts.creation_hooks.append(services.lifecycle.on_account_created)
    services.provisioning = ProvisioningService(
        services.storage, accounts, services.lifecycle, services.rooms, services.clock, audit
    )
    if config.ldap_login:
        services.auth.password_checkers.append(functools.partial(_ldap_password_right, ldap_settings(config)))


def ldap_settings(config: DirectoryConfig) -> LdapSettings:
    password = ""
    if config.ldap_password_file:
        try:
            password = Path(config.ldap_password_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"directory.ldap_password_file: cannot read it: {exc.strerror}") from exc
    return LdapSettings(config.ldap_url, config.ldap_base, config.ldap_bind_dn, password)


async def _ldap_password_right(settings: LdapSettings, user_id: str, password: str) -> bool:
    return await asyncio.to_thread(check_ldap_password, settings, localpart_of(user_id), password)
