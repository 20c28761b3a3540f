"""[push]: Push notifications through HTTP push gateways."""

from __future__ import annotations

from dataclasses import dataclass

from .sections import ConfigError, Section


@dataclass(frozen=True)
class PushConfig(Section):
    TABLE = "push"
    TEMPLATE = """\
[push]
# What a push notification carries to the gateway (and through it to Apple or Google). false: only the
# event and room IDs, the unread count and the priority (the push-gateway "event_id_only" format, whatever
# the pusher asks for). true: pushers that do not ask for "event_id_only" also get the event's type,
# sender and content, except in encrypted rooms, which never leave anything readable.
# include_content = false
# Host names of the push gateways pushers may name (exact match, e.g. ["push.example.gov"]). Empty: any.
# gateway_hosts = []
# Seconds to wait for a push gateway to answer before trying again later.
# gateway_timeout_s = 10.0
# Seconds after which an undelivered notification is given up (the gateway was down all along).
# max_age_s = 86400
"""
    include_content: bool = False
    gateway_hosts: tuple[str, ...] = ()
    gateway_timeout_s: float = 10.0
    max_age_s: int = 86400

    def __post_init__(self) -> None:
        if self.gateway_timeout_s <= 0:
            raise ConfigError("push.gateway_timeout_s must be positive")
        if self.max_age_s <= 0:
            raise ConfigError("push.max_age_s must be positive")
