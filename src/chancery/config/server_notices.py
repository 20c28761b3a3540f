"""[server_notices]: notices from the server to its users, in a room of their own (Synapse's server notices)."""

from __future__ import annotations

from dataclasses import dataclass

from ..events.identifiers import is_valid_new_localpart
from .sections import ConfigError, Section


@dataclass(frozen=True)
class ServerNoticesConfig(Section):
    TABLE = "server_notices"
    TEMPLATE = """\
[server_notices]
# Administrators send notices to people (POST /_synapse/admin/v1/send_server_notice, synapse-admin's
# "Send server notices") from this account, in a room per person where only the server speaks. Off until a
# localpart is set; the account is created on first use (reserve the name: nobody else should hold it).
# system_mxid_localpart = "notices"
# system_mxid_display_name = "Server notices"
# room_name = "Server notices"
"""
    system_mxid_localpart: str | None = None
    system_mxid_display_name: str = "Server notices"
    room_name: str = "Server notices"

    def __post_init__(self) -> None:
        localpart = self.system_mxid_localpart
        if localpart is not None and not is_valid_new_localpart(localpart):
            raise ConfigError("server_notices.system_mxid_localpart may contain only a-z, 0-9, . _ = - / +")
