"""Remote wipe: an administrator or security officer cuts a device off and has it erase what it holds.

What happens, in one transaction: the device's access tokens are kept aside as wiped tokens and deleted, the
device is deleted with everything hooked to it (keys, to-device queue, refresh tokens, device-list change),
an `org.chancery.wipe` to-device message {"reason"} is queued for it, and its device ID is remembered so it
can never sign in again. Every process forgets the tokens at once (the deletion is announced like a logout).

How the device still receives the message: a wiped token gets 401 M_UNKNOWN_TOKEN with
"org.chancery.wiped": true everywhere except /sync, which answers with the wipe message alone until the device
syncs from a token at or past the message's position (it has received it); from then on /sync answers 401
too. A /sync already long-polling when the wipe happens is woken and carries the message in its response.
"""

from __future__ import annotations

from typing import Any

from ...clock import Clock
from ...errors import MatrixError, not_found
from ...policy.devices import WIPE_EVENT_TYPE, may_wipe
from ...policy.roles import SECURITY_OFFICER
from ...storage import Storage
from ...storage.database import Connection
from ..accounts.service import AccountService
from ..audit import Actor, AuditLog
from ..audit.actor import current_actor
from ..notifier import Change, Notifier, user_key
from ..sync.request import make_token, parse_token

MAX_REASON = 1000


def wiped_error() -> MatrixError:
    return MatrixError(
        401,
        "M_UNKNOWN_TOKEN",
        "This device was wiped by an administrator",
        soft_logout=False,
        **{"org.chancery.wiped": True},
    )


class WipeService:
    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        notifier: Notifier,
        accounts: AccountService,
        audit: AuditLog,
        *,
        server_name: str,
    ) -> None:
        self.storage = storage
        self.audit = audit
        self.clock = clock
        self.notifier = notifier
        self.accounts = accounts
        # The sender of wipes ordered from the command line, which has no account of its own.
        self.server_sender = f"@chancery:{server_name}"

    async def check_may_wipe(self, user_id: str, is_admin: bool, target: str) -> None:
        officer = SECURITY_OFFICER in await self.storage.roles.roles_of(user_id)
        if not (decision := may_wipe(is_admin, officer)):
            await self.audit.record_denial(current_actor() or Actor(user_id), "device.wipe", target, decision)
            raise decision.as_error()

    async def wipe(self, ordered_by: str | None, user_id: str, device_id: str, reason: str) -> None:
        if await self.storage.users.get_device(user_id, device_id) is None:
            raise not_found("No such device")
        sender = ordered_by or self.server_sender
        reason = reason[:MAX_REASON]
        positions: list[int] = []

        async def keep_tokens(txn: Connection) -> None:
            await self.storage.devices.record_wipe(txn, user_id, device_id, sender, reason, self.clock.now_ms())

        async def queue_message(txn: Connection) -> None:
            pos = await self.storage.to_device.enqueue(
                txn, sender, WIPE_EVENT_TYPE, [(user_id, device_id, {"reason": reason})]
            )
            await self.storage.devices.set_wipe_message_pos(txn, user_id, device_id, pos)
            positions.append(pos)

        await self.accounts.delete_devices(
            user_id,
            [device_id],
            action="device.wipe",
            details={"device_id": device_id, "reason": reason},
            before=keep_tokens,
            after=queue_message,
        )
        await self.notifier.notify(positions[0], [user_key(user_id, Change.TO_DEVICE)])

    async def answer_wiped(self, user_id: str, device_id: str, is_sync: bool, since: str | None) -> dict[str, Any]:
        """What a wiped device's request gets: on /sync the wipe message until acknowledged, otherwise 401."""
        wipe = await self.storage.devices.wipe_of(user_id, device_id)
        if is_sync and wipe is not None and not wipe.acknowledged:
            since_pos = parse_token(since)
            if since_pos is None or since_pos < wipe.message_pos:
                return {
                    "next_batch": make_token(wipe.message_pos),
                    "to_device": {
                        "events": [{"sender": wipe.sender, "type": WIPE_EVENT_TYPE, "content": {"reason": wipe.reason}}]
                    },
                }
            async with self.storage.db.transaction() as txn:
                await self.storage.devices.mark_wipe_acknowledged(txn, user_id, device_id, self.clock.now_ms())
                await self.storage.to_device.delete_for_devices(txn, user_id, [device_id])
        raise wiped_error()
