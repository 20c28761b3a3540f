"""[support]: Whom users and other administrators contact about this server (/.well-known/matrix/support)."""

from __future__ import annotations

from dataclasses import dataclass

from ..events.identifiers import is_valid_user_id
from .sections import ConfigError, Section

ROLES = ("m.role.admin", "m.role.security")


@dataclass(frozen=True)
class SupportConfig(Section):
    TABLE = "support"
    TEMPLATE = """\
[support]
# Published at /.well-known/matrix/support (404 while neither is set). Each contact has a role
# ("m.role.admin" or "m.role.security") and a Matrix ID, an e-mail address or both.
# support_page = "https://intranet.example.org/messenger-help"
# [[support.contacts]]
# role = "m.role.admin"
# matrix_id = "@helpdesk:example.org"
# email_address = "helpdesk@example.org"
"""
    support_page: str | None = None
    contacts: tuple[dict[str, str], ...] = ()

    def __post_init__(self) -> None:
        for contact in self.contacts:
            unknown = set(contact) - {"role", "matrix_id", "email_address"}
            if unknown:
                raise ConfigError(f"support.contacts has unknown settings: {', '.join(sorted(unknown))}")
            if contact.get("role") not in ROLES:
                raise ConfigError(f"support.contacts: role must be one of {', '.join(ROLES)}")
            if "matrix_id" not in contact and "email_address" not in contact:
                raise ConfigError("support.contacts: each contact needs a matrix_id or an email_address")
            if "matrix_id" in contact and not is_valid_user_id(contact["matrix_id"]):
                raise ConfigError(f"support.contacts: {contact['matrix_id']!r} is not a Matrix user ID")

    @property
    def published(self) -> bool:
        return bool(self.contacts or self.support_page)

    def well_known(self) -> dict[str, object]:
        body: dict[str, object] = {"contacts": [dict(contact) for contact in self.contacts]}
        if self.support_page is not None:
            body["support_page"] = self.support_page
        return body
