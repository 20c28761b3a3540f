"""Per-request device checks: expired access tokens, devices awaiting approval, wiped devices.

Only requests whose token carries one of these conditions reach this module (the router tests three
fields of the cached requester), so the ordinary request path costs nothing extra.
"""

from __future__ import annotations

from typing import Any

from ...clock import Clock
from ...errors import MatrixError
from ...policy.devices import may_use_unapproved
from ..accounts.requester import Requester
from .wipe import WipeService

C = "/_matrix/client/v3"
SYNC_PATH = C + "/sync"
# What a device awaiting approval may do: learn who it is, that it waits, and sign out.
UNAPPROVED_PATHS = frozenset(
    {C + "/account/whoami", C + "/logout", C + "/logout/all", C + "/capabilities", C + "/devices"}
)


def needs_check(requester: Requester) -> bool:
    return requester.wiped or not requester.approved or requester.token_expires_ts is not None


class DeviceStanding:
    def __init__(self, clock: Clock, wipes: WipeService) -> None:
        self.clock = clock
        self.wipes = wipes

    async def check(self, requester: Requester, path: str, since: str | None) -> dict[str, Any] | None:
        """Raise the request's refusal; or return the response a wiped device's /sync gets; or None: go on."""
        if requester.wiped:
            return await self.wipes.answer_wiped(requester.user_id, requester.device_id, path == SYNC_PATH, since)
        if requester.token_expires_ts is not None and requester.token_expires_ts <= self.clock.now_ms():
            raise MatrixError(401, "M_UNKNOWN_TOKEN", "The access token has expired", soft_logout=True)
        if not requester.approved and not (decision := may_use_unapproved(path, UNAPPROVED_PATHS)):
            raise decision.as_error()
        return None
