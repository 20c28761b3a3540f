"""Server notices (POST /_synapse/admin/v1/send_server_notice): an administrator's message to a person, sent
by the server's notices account into a room of the person's own, tagged `m.server_notice` so that clients
show it apart ("System alerts" in Element), where the person cannot reply."""

from __future__ import annotations

from typing import Any

from ...config.server_notices import ServerNoticesConfig
from ...errors import MatrixError, forbidden, invalid_param, not_found
from ...events.builder import EventDraft
from ...events.identifiers import is_valid_user_id, server_of
from ...storage import Storage
from ...storage.admin_rooms import AdminRoomStore
from ..accounts.profile import ProfileService
from ..accounts.requester import Requester
from ..accounts.service import AccountService
from ..rooms.events import RoomEventService, TxnKey
from ..rooms.service import RoomService
from .audit import AdminAudit, actor_of

NOTICE_TAG = "m.server_notice"


def _acting_as(user_id: str) -> Requester:
    return Requester(user_id, "", False, "")


class ServerNoticeService:
    def __init__(
        self,
        storage: Storage,
        store: AdminRoomStore,
        accounts: AccountService,
        profile: ProfileService,
        rooms: RoomService,
        room_events: RoomEventService,
        audit: AdminAudit,
        config: ServerNoticesConfig,
        *,
        server_name: str,
    ) -> None:
        self.storage = storage
        self.store = store
        self.accounts = accounts
        self.profile = profile
        self.rooms = rooms
        self.room_events = room_events
        self.audit = audit
        self.config = config
        self.server_name = server_name

    @property
    def sender(self) -> str | None:
        localpart = self.config.system_mxid_localpart
        return None if localpart is None else f"@{localpart}:{self.server_name}"

    async def send(
        self,
        admin: Requester,
        user_id: str,
        event_type: str,
        content: dict[str, Any],
        state_key: str | None,
        txn_id: str | None,
    ) -> str:
        sender = self.sender
        if sender is None:
            raise MatrixError(400, "M_UNKNOWN", "Server notices are not enabled on this server")
        if not is_valid_user_id(user_id) or server_of(user_id) != self.server_name:
            raise invalid_param("Server notices can only be sent to users of this server")
        user = await self.storage.users.get_user(user_id)
        if user is None or user.deactivated:
            raise not_found("Unknown or deactivated user")
        if user_id == sender:
            raise forbidden("The notices account does not send notices to itself")
        await self._ensure_sender(admin, sender)
        room_id = await self._room_for(sender, user_id)
        # Idempotent per administrator and transaction ID, like a client's send.
        txn_key = TxnKey(sender, f"admin {admin.user_id}", txn_id) if txn_id is not None else None
        stored = await self.room_events.send(room_id, EventDraft(event_type, sender, content, state_key), txn_key)
        details = {"event_id": stored.event_id, "room_id": room_id, "type": event_type}
        await self.audit.record(None, admin, "server_notice.send", user_id, details)
        return stored.event_id

    async def _ensure_sender(self, admin: Requester, sender: str) -> None:
        """The notices account, created (without a password: nobody logs in as it) on first use."""
        if await self.storage.users.user_exists(sender):
            return
        try:
            await self.accounts.create_account(sender, None, actor=actor_of(admin))
        except MatrixError as exc:
            if exc.errcode != "M_USER_IN_USE":  # created meanwhile by another request: just as good
                raise
        await self.storage.users.set_profile_field(sender, "displayname", self.config.system_mxid_display_name)

    async def _room_for(self, sender: str, user_id: str) -> str:
        """The person's notices room (a room the notices account made for them): the one they are in or
        invited to; invited again after leaving it; a new one the first time (or after a ban)."""
        rooms = await self.store.rooms_created_by_with(sender, user_id)
        for room_id, membership in rooms:
            if membership in ("join", "invite"):
                return room_id
        for room_id, membership in rooms:
            if membership == "leave" and await self.storage.rooms.membership(room_id, sender) == "join":
                await self.rooms.invite(_acting_as(sender), room_id, user_id, None)
                return room_id
        body = {
            "preset": "private_chat",
            "name": self.config.room_name,
            "invite": [user_id],
            "power_level_content_override": {"users_default": -10},
        }
        room_id, _ = await self.rooms.create_room(_acting_as(sender), body)
        await self.profile.set_tag(_acting_as(user_id), user_id, room_id, NOTICE_TAG, {})
        return room_id
