"""Guest accounts (client-server API: guest access): registration, upgrade to a full account, and the
room rules that apply to guests (they join only rooms whose guest access is `can_join`, and leave them
when it is revoked)."""

from __future__ import annotations

import logging

from ...clock import Clock, Randomness
from ...errors import MatrixError, forbidden
from ...events.builder import EventDraft
from ...storage import Storage
from ...storage.events import StoredEvent
from ..audit import Actor
from ..audit.actor import current_actor
from ..rooms.events import RoomEventService
from .auth import AuthService

log = logging.getLogger(__name__)

GUEST_ACCESS = "m.room.guest_access"


def guest_access_forbidden() -> MatrixError:
    return MatrixError(403, "M_GUEST_ACCESS_FORBIDDEN", "Guest access is disabled on this server")


class GuestService:
    def __init__(
        self,
        storage: Storage,
        auth: AuthService,
        room_events: RoomEventService,
        clock: Clock,
        randomness: Randomness,
        *,
        server_name: str,
        enabled: bool,
    ) -> None:
        self.storage = storage
        self.auth = auth
        self.room_events = room_events
        self.clock = clock
        self.randomness = randomness
        self.server_name = server_name
        self.enabled = enabled

    async def register_guest(self, device_id: str | None, display_name: str | None) -> tuple[str, str, str]:
        """A new guest account with a session: (user_id, access_token, device_id)."""
        if not self.enabled:
            raise guest_access_forbidden()
        for _ in range(10):
            user_id = f"@guest.{self.randomness.letters(12).lower()}:{self.server_name}"
            async with self.storage.db.transaction() as txn:
                if await self.storage.users.user_exists(user_id, txn):
                    continue
                request = current_actor()
                actor = Actor(user_id, ip=request.ip if request else None)
                await self.auth.audit.record(txn, actor, "account.create", user_id, details={"method": "guest"})
                await self.storage.users.create_user(txn, user_id, None, False, self.clock.now_ms(), is_guest=True)
            token, device_id, _, _ = await self.auth.new_session(user_id, device_id, display_name, method="guest")
            log.info("guest account created", extra={"user_id": user_id})
            return user_id, token, device_id
        raise MatrixError(500, "M_UNKNOWN", "Could not allocate a guest user ID")

    async def guest_to_upgrade(self, guest_token: str, username: str | None) -> str:
        """The guest account `guest_token` belongs to, which `username` must name (its localpart)."""
        requester = await self.auth.requester_for_token(guest_token)
        if requester is None or not requester.is_guest:
            raise forbidden("guest_access_token is not a valid guest access token")
        if username is None or username.lower() not in (requester.user_id, requester.user_id[1:].split(":", 1)[0]):
            raise forbidden("A guest account can only be upgraded under its own user ID")
        return requester.user_id

    async def on_committed(self, written: list[StoredEvent]) -> None:
        """A room's guest access changed away from `can_join`: its guests leave (the spec's MUST)."""
        for stored in written:
            event = stored.event
            if event["type"] != GUEST_ACCESS or event.get("state_key") != "":
                continue
            if event["content"].get("guest_access") == "can_join":
                continue
            await self._remove_guests(event["room_id"])

    async def _remove_guests(self, room_id: str) -> None:
        for user_id in await self.storage.users.guests_in_room(room_id):
            try:
                async with self.room_events.writing(room_id) as writer:
                    await writer.append(EventDraft("m.room.member", user_id, {"membership": "leave"}, user_id))
            except MatrixError:
                log.warning("could not remove a guest from a room", extra={"room_id": room_id})
