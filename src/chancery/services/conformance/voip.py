"""TURN credentials for calls (client-server API: voice over IP): the TURN REST API's time-limited
credentials, which a TURN server configured with the same shared secret (coturn's use-auth-secret) checks
without asking this server."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from ...clock import Clock
from ...config.turn import TurnConfig


class TurnService:
    def __init__(self, config: TurnConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock

    def credentials(self, user_id: str) -> dict[str, Any]:
        """{} when no TURN server is configured (clients then call without one)."""
        config = self.config
        if not config.configured:
            return {}
        assert config.shared_secret is not None
        expiry = self.clock.now_ms() // 1000 + config.user_lifetime
        username = f"{expiry}:{user_id}"
        digest = hmac.new(config.shared_secret.encode(), username.encode(), hashlib.sha1).digest()
        return {
            "username": username,
            "password": base64.b64encode(digest).decode(),
            "uris": list(config.uris),
            "ttl": config.user_lifetime,
        }
