"""The password policy ([directory] password_*): length, character classes, a local breached-password list."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from ...config.directory import DirectoryConfig
from ...config.sections import ConfigError
from ...errors import MatrixError
from ..audit import Actor, AuditLog
from ..audit.actor import current_actor

WEAK_PASSWORD = "M_WEAK_PASSWORD"


def _has_class(password: str, name: str) -> bool:
    if name == "lowercase":
        return any(c.islower() for c in password)
    if name == "uppercase":
        return any(c.isupper() for c in password)
    if name == "digit":
        return any(c.isdigit() for c in password)
    return any(not c.isalnum() and not c.isspace() for c in password)


def weakness(password: str, config: DirectoryConfig, breached: frozenset[str]) -> str | None:
    """Why the policy refuses `password` (a sentence), or None when it is acceptable. Linear in its length."""
    if len(password) < config.password_min_length:
        return f"The password must be at least {config.password_min_length} characters long"
    missing = [name for name in config.password_require if not _has_class(password, name)]
    if missing:
        return f"The password must contain: {', '.join(missing)}"
    if _normalised(password) in breached:
        return "This password appears in a list of breached passwords; choose another"
    return None


def _normalised(password: str) -> str:
    return unicodedata.normalize("NFKC", password).casefold()


def load_breached(path: str) -> frozenset[str]:
    """One password a line; blank lines and '#' comments ignored."""
    with Path(path).open(encoding="utf-8", errors="replace") as lines:
        return frozenset(_normalised(line.rstrip("\r\n")) for line in lines if line.strip() and line[0] != "#")


class PasswordPolicy:
    def __init__(self, config: DirectoryConfig, audit: AuditLog) -> None:
        self.config = config
        self.audit = audit
        # Read once at start: a missing or unreadable list stops the server there, not at a registration.
        path = config.password_breached_list
        try:
            self.breached = load_breached(path) if path else frozenset()
        except OSError as exc:
            raise ConfigError(f"directory.password_breached_list: cannot read {path}: {exc.strerror}") from exc

    async def check(self, password: str, user_id: str | None) -> None:
        """Raise 400 M_WEAK_PASSWORD (recorded in the audit log) when the policy refuses `password`."""
        reason = weakness(password, self.config, self.breached)
        if reason is None:
            return
        await self.audit.record_alone(
            current_actor() or Actor(user_id),
            "password.change",
            user_id or "(registration)",
            outcome="denied",
            reason="weak_password",
        )
        raise MatrixError(400, WEAK_PASSWORD, reason)
