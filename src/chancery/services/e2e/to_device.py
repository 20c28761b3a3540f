"""Send-to-device messaging (client-server API: send-to-device messaging).

A send is idempotent per (user, device, txnId), also across restarts, for TXN_RETENTION_MS: the transaction
ID is stored in the same database transaction as the queued messages. A device's queue is delivered through /sync in
order of arrival, at most MAX_PER_SYNC at a time, and a message is deleted only once the device syncs
from a token at or beyond the response that carried it, so a lost response loses nothing.
"""

from __future__ import annotations

from typing import Any

from ...clock import Clock
from ...errors import bad_json, invalid_param
from ...events.canonical import check_canonical_values
from ...lru import Lru
from ...policy.devices import may_send_to_device
from ...storage import Storage
from ...storage.database import Connection
from ..accounts.requester import Requester
from ..notifier import Change, Notifier, user_key
from ..sync.service import SyncRequest
from .signing import require_object

MAX_PER_SYNC = 100
TXN_RETENTION_MS = 7 * 24 * 3600 * 1000  # how long a repeated transaction ID is recognised as a retry
_MAX_EMPTY_QUEUES_REMEMBERED = 100_000
MAX_EVENT_TYPE = 255
ALL_DEVICES = "*"


class ToDeviceService:
    def __init__(self, storage: Storage, clock: Clock, notifier: Notifier) -> None:
        self.storage = storage
        self.clock = clock
        self.notifier = notifier
        # (user, device) -> a stream position at which the device's queue was empty. Until a message
        # for the user arrives after it, /sync need not look at the queue.
        self._empty_at: Lru[tuple[str, str], int] = Lru(_MAX_EMPTY_QUEUES_REMEMBERED)

    async def send(self, requester: Requester, event_type: str, txn_id: str, body: dict[str, Any]) -> None:
        """PUT /sendToDevice/{eventType}/{txnId}."""
        if not (decision := may_send_to_device(event_type)):
            raise decision.as_error()
        if not event_type or len(event_type) > MAX_EVENT_TYPE:
            raise invalid_param("Invalid event type")
        messages = require_object(body.get("messages"), "messages")
        check_canonical_values(messages, "messages")
        explicit: dict[tuple[str, str], dict[str, Any]] = {}
        wildcard: dict[tuple[str, str], dict[str, Any]] = {}
        for user_id, by_device in messages.items():
            by_device = require_object(by_device, f"messages.{user_id}")
            known = {d.device_id for d in await self.storage.users.list_devices(user_id)}
            for device_id, content in by_device.items():
                if not isinstance(content, dict):
                    raise bad_json(f"messages.{user_id}.{device_id} must be an object")
                if device_id == ALL_DEVICES:
                    wildcard.update({(user_id, d): content for d in sorted(known)})
                elif device_id in known:
                    explicit[(user_id, device_id)] = content
        # A device named both explicitly and through `*` gets the message meant for it alone.
        rows = [(u, d, c) for (u, d), c in {**wildcard, **explicit}.items()]
        pos = None
        async with self.storage.db.transaction() as txn:
            now = self.clock.now_ms()
            first_time = await self.storage.to_device.claim_txn(
                txn, requester.user_id, requester.device_id, txn_id, now, now - TXN_RETENTION_MS
            )
            if first_time and rows:
                pos = await self.storage.to_device.enqueue(txn, requester.user_id, event_type, rows)
        if pos is not None:
            await self.notifier.notify(pos, {user_key(user_id, Change.TO_DEVICE) for user_id, _, _ in rows})

    async def sync_extension(self, request: SyncRequest, body: dict[str, Any]) -> bool:
        """/sync `to_device`: acknowledge what the `since` token's response carried, deliver the next batch."""
        user_id, device_id = request.requester.user_id, request.requester.device_id
        device = (user_id, device_id)
        empty_at = self._empty_at.get(device)
        if (
            empty_at is not None
            and empty_at <= request.upto
            and request.own_unchanged(Change.TO_DEVICE, after=empty_at)
        ):
            body["to_device"] = {"events": []}
            return False
        store = self.storage.to_device
        if request.since is not None:
            await store.acknowledge(user_id, device_id, request.since)
        pending = await store.pending(user_id, device_id, request.upto, MAX_PER_SYNC + 1)
        batch = pending[:MAX_PER_SYNC]
        if len(pending) > len(batch):
            # The response's token covers messages it does not carry: remember where delivery stopped.
            pos = await store.record_partial_delivery(user_id, device_id, request.upto, batch[-1].pos)
            await self.notifier.notify(pos, [])
        if pending:
            self._empty_at.pop(device)
        else:
            self._empty_at.put(device, request.upto)
        body["to_device"] = {"events": [{"sender": m.sender, "type": m.type, "content": m.content} for m in batch]}
        return bool(batch)

    async def delete_device_messages(self, txn: Connection, user_id: str, device_ids: list[str]) -> None:
        """Device-deletion hook: a deleted device's queue will never be read."""
        await self.storage.to_device.delete_for_devices(txn, user_id, device_ids)
