"""[turn]: TURN servers handed to clients for VoIP (REST credentials from a shared secret)."""

from __future__ import annotations

from dataclasses import dataclass

from .sections import ConfigError, Section


@dataclass(frozen=True)
class TurnConfig(Section):
    TABLE = "turn"
    TEMPLATE = """\
[turn]
# TURN servers for voice and video calls (GET /voip/turnServer). Clients get time-limited credentials made
# from the secret shared with the TURN server (coturn: use-auth-secret, static-auth-secret). With no URIs or
# no secret, clients are told there is no TURN server.
# uris = ["turns:turn.example.org:5349?transport=tcp", "turn:turn.example.org:3478?transport=udp"]
# shared_secret = "the static-auth-secret of the TURN server"
# How long a credential is valid, in seconds.
# user_lifetime = 86400
"""
    uris: tuple[str, ...] = ()
    shared_secret: str | None = None
    user_lifetime: int = 86400

    def __post_init__(self) -> None:
        if not 60 <= self.user_lifetime <= 7 * 86400:
            raise ConfigError("turn.user_lifetime must be between 60 and 604800 seconds")
        for uri in self.uris:
            if not uri.startswith(("turn:", "turns:")):
                raise ConfigError(f"turn.uris: {uri!r} is not a turn: or turns: URI")

    @property
    def configured(self) -> bool:
        return bool(self.uris and self.shared_secret)
