"""Deleting a room (DELETE /_synapse/admin/v2/rooms/{roomId}): in the background, with its status kept.

Everyone leaves the room (with the administrator's message as the reason); optionally a replacement room,
made by `new_room_user_id`, receives them, the message and the room's aliases; optionally the room is
blocked so nobody joins again; by default its history is purged."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from ...clock import Clock, Randomness
from ...errors import MatrixError, invalid_param, not_found
from ...events.builder import EventDraft
from ...events.identifiers import is_valid_user_id, server_of
from ...policy.decision import PolicyDenied
from ...policy.legal_hold import may_purge_room
from ...storage import Storage
from ...storage.admin_rooms import AdminRoomStore, RoomDeletion, empty_shutdown_result
from ..accounts.requester import Requester
from ..rooms.events import RoomEventService
from ..rooms.service import RoomService
from .audit import AdminAudit, actor_of

log = logging.getLogger(__name__)

DEFAULT_ROOM_NAME = "Content Violation Notification"
DEFAULT_MESSAGE = "Sharing illegal content on this server is not permitted and rooms in violation will be blocked."


@dataclass(frozen=True)
class DeletionRequest:
    block: bool
    purge: bool
    message: str
    room_name: str
    new_room_user_id: str | None

    @classmethod
    def parse(cls, body: dict[str, Any], server_name: str) -> DeletionRequest:
        def text(key: str, default: str) -> str:
            value = body.get(key, default)
            if not isinstance(value, str) or len(value) > 4096:
                raise invalid_param(f"{key} must be a string of at most 4096 characters")
            return value

        flags = {}
        for key, default in (("block", False), ("purge", True), ("force_purge", False)):
            value = body.get(key, default)
            if not isinstance(value, bool):
                raise invalid_param(f"{key} must be a boolean")
            flags[key] = value
        new_room_user_id = body.get("new_room_user_id")
        if new_room_user_id is not None and (
            not isinstance(new_room_user_id, str)
            or not is_valid_user_id(new_room_user_id)
            or server_of(new_room_user_id) != server_name
        ):
            raise invalid_param("new_room_user_id must be a user of this server")
        return cls(
            flags["block"],
            flags["purge"],
            text("message", DEFAULT_MESSAGE),
            text("room_name", DEFAULT_ROOM_NAME),
            new_room_user_id,
        )


def status_json(deletion: RoomDeletion, *, with_id: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"status": deletion.status, "shutdown_room": deletion.result}
    if deletion.error is not None:
        body["error"] = deletion.error
    return {"delete_id": deletion.delete_id, **body} if with_id else body


def _acting_as(user_id: str) -> Requester:
    """Membership changes made on a user's behalf by the server (they hold no token)."""
    return Requester(user_id, "", False, "")


class RoomDeletionService:
    def __init__(
        self,
        storage: Storage,
        store: AdminRoomStore,
        rooms: RoomService,
        room_events: RoomEventService,
        audit: AdminAudit,
        clock: Clock,
        randomness: Randomness,
        *,
        server_name: str,
    ) -> None:
        self.storage = storage
        self.store = store
        self.rooms = rooms
        self.room_events = room_events
        self.audit = audit
        self.clock = clock
        self.randomness = randomness
        self.server_name = server_name
        self._running: set[asyncio.Task[None]] = set()

    async def start(self, admin: Requester, room_id: str, request: DeletionRequest) -> str:
        """Record the deletion and start it; return its delete_id at once."""
        if not room_id.startswith("!"):
            raise invalid_param("Expected a room ID")
        exists = await self.storage.rooms.get_room(room_id) is not None and not await self.store.is_purged(room_id)
        if not exists and not request.block:
            raise not_found("Room not found")
        if await self.store.deletion_running(room_id):
            raise invalid_param("This room is already being deleted")
        if request.new_room_user_id is not None and await self.storage.users.get_user(request.new_room_user_id) is None:
            raise not_found("new_room_user_id is not a user of this server")
        if exists and request.purge:
            await self._check_purge_allowed(room_id)
        delete_id = self.randomness.letters(16)
        async with self.storage.db.transaction() as txn:
            await self.store.add_deletion(txn, delete_id, room_id, admin.user_id, self.clock.now_ms())
            details = {"block": request.block, "purge": request.purge, "replacement": request.new_room_user_id}
            await self.audit.record(txn, admin, "room.delete", room_id, {"delete_id": delete_id, **details})
        task = asyncio.create_task(self._run(admin, room_id, delete_id, request, exists))
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return delete_id

    async def status_of_room(self, room_id: str) -> dict[str, Any]:
        deletions = await self.store.deletions_of(room_id)
        if not deletions:
            raise not_found("No deletion of this room was requested")
        return {"results": [status_json(d, with_id=True) for d in deletions]}

    async def status(self, delete_id: str) -> dict[str, Any]:
        deletion = await self.store.deletion(delete_id)
        if deletion is None:
            raise not_found("Unknown delete_id")
        return status_json(deletion, with_id=False)

    async def _run(
        self, admin: Requester, room_id: str, delete_id: str, request: DeletionRequest, exists: bool
    ) -> None:
        result = empty_shutdown_result()
        try:
            if request.block:
                async with self.storage.db.transaction() as txn:
                    await self.store.block(txn, room_id, admin.user_id, self.clock.now_ms())
                    await self.audit.record(txn, admin, "room.block", room_id)
            if exists:
                await self._shut_down(room_id, request, result)
                if request.purge:
                    await self.store.update_deletion(delete_id, "purging", result)
                    await self._check_purge_allowed(room_id)  # a hold may have been placed meanwhile
                    async with self.storage.db.transaction() as txn:
                        await self.store.purge(txn, room_id, self.clock.now_ms())
            await self.store.update_deletion(delete_id, "complete", result)
            log.warning("room deleted", extra={"room_id": room_id, "by": admin.user_id, "delete_id": delete_id})
        except PolicyDenied as exc:
            await self.audit.log.record_denial(actor_of(admin), exc.action, exc.target, exc.decision)
            await self.store.update_deletion(delete_id, "failed", result, exc.error)
        except Exception as exc:  # the status must say so, whatever failed
            log.exception("room deletion failed", extra={"room_id": room_id, "delete_id": delete_id})
            error = exc.error if isinstance(exc, MatrixError) else type(exc).__name__
            await self.store.update_deletion(delete_id, "failed", result, error)

    async def _check_purge_allowed(self, room_id: str) -> None:
        decision = may_purge_room(*await self.store.holds_on(room_id))
        if not decision:
            raise decision.as_denial("room.purge", room_id)

    async def _shut_down(self, room_id: str, request: DeletionRequest, result: dict[str, Any]) -> None:
        new_room_id = None
        if request.new_room_user_id is not None:
            new_room_id = await self._replacement_room(request)
            result["new_room_id"] = new_room_id
        await self.storage.rooms.set_public(room_id, False)
        for membership in ("join", "invite", "knock"):
            for user_id in sorted(await self.storage.rooms.members(room_id, membership)):
                try:
                    await self.rooms.leave(_acting_as(user_id), room_id, request.message)
                except MatrixError:
                    result["failed_to_kick_users"].append(user_id)
                    continue
                result["kicked_users"].append(user_id)
                if new_room_id is not None and membership == "join":
                    await self.rooms.join(_acting_as(user_id), new_room_id)
        if new_room_id is not None:
            async with self.storage.db.transaction() as txn:
                result["local_aliases"] = await self.storage.rooms.move_aliases(txn, room_id, new_room_id)
        else:
            result["local_aliases"] = sorted(await self.storage.rooms.aliases_of(room_id))

    async def _replacement_room(self, request: DeletionRequest) -> str:
        """A public room where only its creator may speak, holding the administrator's message."""
        assert request.new_room_user_id is not None
        creator = _acting_as(request.new_room_user_id)
        body = {
            "preset": "public_chat",
            "name": request.room_name,
            "power_level_content_override": {"users_default": -10},
        }
        room_id, _ = await self.rooms.create_room(creator, body)
        draft = EventDraft("m.room.message", creator.user_id, {"msgtype": "m.text", "body": request.message})
        await self.room_events.send(room_id, draft)
        return room_id
