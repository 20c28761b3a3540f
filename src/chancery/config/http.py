"""[http]: The HTTP front: trusted reverse proxies and the access log."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from .sections import ConfigError, Section


@dataclass(frozen=True)
class HttpConfig(Section):
    TABLE = "http"
    TEMPLATE = """\
[http]
# Reverse proxies (addresses or networks) whose X-Forwarded-For header names the client's address. Rate
# limits and logs use that address; from any other peer the header is ignored. See docs/operations.md.
trusted_proxies = []
# One log line (JSON, at INFO) per request: method, path without query string, status, duration, request ID.
access_log = true
"""
    trusted_proxies: tuple[str, ...] = ()
    access_log: bool = True

    def __post_init__(self) -> None:
        for entry in self.trusted_proxies:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError as exc:
                raise ConfigError(f"http.trusted_proxies: {entry!r} is not an IP address or network") from exc
