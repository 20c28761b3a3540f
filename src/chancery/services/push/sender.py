"""Delivering the push queue to push gateways: one task per process, never on the send path.

Each pass fans newly committed events out into the queue (fanout.py), then leases the pushers that have
a notification due and posts their notifications to the gateway, in stream order, one at a time per
pusher. A lease is a row claim (on PostgreSQL with SKIP LOCKED), so with several processes each pusher
is delivered by one of them; a process that dies holding a lease loses it when it expires. A gateway
that is down or answers 5xx is retried with backoff from 1 s up to 1 h; a notification older than
`[push] max_age_s` is then given up. A push key the gateway rejects deletes its pusher.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from enum import Enum
from typing import Any

import aiohttp

from ...clock import Clock
from ...config.push import PushConfig
from ...errors import MatrixError
from ...policy.classification import CLASSIFICATION_EVENT, marking_of
from ...storage import Storage
from ...storage.pushers import Pusher, QueuedPush
from ..notifier import Notifier
from .fanout import PushFanout
from .gateway import notification_payload, post_notification, wants_content
from .pushers import check_gateway_url
from .unread import UnreadCounter
from .user_rules import UserRuleFilter

log = logging.getLogger(__name__)

POLL_S = 2.0  # a pass at least this often: retries falling due, leases of other processes expiring
COALESCE_S = 0.05  # after a wake-up, let a burst of sends land before the pass
BATCH = 50  # notifications posted per pusher per lease
PUSHERS_PER_PASS = 50
FIRST_RETRY_MS = 1_000
MAX_RETRY_MS = 3_600_000
ORPHAN_SWEEP_MS = 60_000  # how often queue rows of pushers deleted during a fan-out are swept away


def retry_delay_ms(attempts: int) -> int:
    """1 s after the first failure, doubling up to 1 h."""
    return min(FIRST_RETRY_MS << min(attempts - 1, 32), MAX_RETRY_MS)


class _Outcome(Enum):
    DONE = "done"
    RETRY = "retry"
    PUSHER_GONE = "pusher gone"


class PushSender:
    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        notifier: Notifier,
        config: PushConfig,
        unread: UnreadCounter,
        user_rules: UserRuleFilter,
    ) -> None:
        self.storage = storage
        self.clock = clock
        self.notifier = notifier
        self.config = config
        self.unread = unread
        self.fanout = PushFanout(storage, clock, user_rules)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._timeout_ms = int(config.gateway_timeout_s * 1000)
        # Long enough for a few slow requests; delivery stops one timeout before it ends (see _deliver).
        self._lease_ms = self._timeout_ms * 3 + 30_000
        self._orphans_dropped_at = 0
        notifier.add_listener(lambda _pos, _keys: self._wake.set(), lambda _pos: self._wake.set())

    async def start(self) -> None:
        self._session = aiohttp.ClientSession()
        self._task = asyncio.create_task(self._run(), name="push-sender")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._session is not None:
            await self._session.close()

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            next_due: int | None = None
            try:
                next_due = await self.run_once()
            except Exception:
                log.exception("push delivery pass failed")
            await self._sleep(next_due)

    async def _sleep(self, next_due: int | None) -> None:
        delay = POLL_S
        if next_due is not None:
            delay = min(delay, max(0.0, (next_due - self.clock.now_ms()) / 1000))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), delay)
        await asyncio.sleep(COALESCE_S)

    async def run_once(self) -> int | None:
        """One pass: fan out, deliver what is due. Returns when the next queued notification falls due."""
        if self.notifier.tracking:
            try:
                await self.fanout.run(self.notifier.complete_upto)
            except Exception:  # what is already queued is still delivered
                log.exception("push fan-out failed")
        now = self.clock.now_ms()
        if now - self._orphans_dropped_at > ORPHAN_SWEEP_MS:
            self._orphans_dropped_at = now
            await self.storage.pushers.drop_orphans()
        due = await self.storage.pushers.next_due_ts()
        if due is None or due > now:
            return due
        lease_end = now + self._lease_ms
        claimed = await self.storage.pushers.claim_due(now, lease_end, PUSHERS_PER_PASS)
        await asyncio.gather(*(self._deliver(c.pusher, c.failures, lease_end) for c in claimed))
        return await self.storage.pushers.next_due_ts()

    async def _deliver(self, pusher: Pusher, failures: int, lease_end: int) -> None:
        """Post the pusher's queue in order until it is empty (up to BATCH), a delivery fails or the lease
        nears its end; then, in one transaction, drop what was delivered, record the backoff and release the
        lease. A crash in between delivers those notifications again (the gateway dedupes by event ID)."""
        done_upto: int | None = None
        retry_at = 0
        try:
            unread: int | None = None
            for queued in await self.storage.pushers.queued(pusher.pusher_id, BATCH):
                if self.clock.now_ms() + self._timeout_ms > lease_end:
                    break  # another process may take the pusher over once the lease is out
                if unread is None:
                    unread = await self._unread_count(pusher.user_id)
                outcome = await self._post(pusher, queued, unread)
                if outcome is _Outcome.PUSHER_GONE:
                    return
                if outcome is _Outcome.RETRY:
                    failures += 1
                    retry_at = self.clock.now_ms() + retry_delay_ms(failures)
                    break
                done_upto, failures = queued.stream_pos, 0
        except Exception:
            log.exception("push delivery failed", extra={"user_id": pusher.user_id})
            # Back off as for a failing gateway, so that a persistent error is not retried in a tight loop.
            failures += 1
            retry_at = self.clock.now_ms() + retry_delay_ms(failures)
        await self.storage.pushers.finish_delivery(pusher.pusher_id, done_upto, failures, retry_at)

    async def _post(self, pusher: Pusher, queued: QueuedPush, unread: int) -> _Outcome:
        """Try one notification: done with (delivered, refused for good or given up), to be retried later, or
        the pusher is gone (its push key was rejected)."""
        url = pusher.data.get("url")
        try:
            check_gateway_url(url, self.config)  # the allowed gateways may have changed since it was set
        except MatrixError:
            log.warning(
                "pusher's gateway is no longer allowed; notification dropped", extra={"user_id": pusher.user_id}
            )
            return _Outcome.DONE
        assert self._session is not None and isinstance(url, str)
        payload = notification_payload(pusher, queued, unread, await self._event_to_include(pusher, queued))
        answer = await post_notification(self._session, url, payload, self.config.gateway_timeout_s)
        if pusher.pushkey in answer.rejected:
            log.info("push key rejected by the gateway; pusher deleted", extra={"user_id": pusher.user_id})
            await self.storage.pushers.delete_rejected(pusher.user_id, pusher.app_id, pusher.pushkey)
            return _Outcome.PUSHER_GONE
        too_old = self.clock.now_ms() - queued.created_ts > self.config.max_age_s * 1000
        return _Outcome.DONE if answer.delivered or not answer.retry or too_old else _Outcome.RETRY

    async def _event_to_include(self, pusher: Pusher, queued: QueuedPush) -> dict[str, Any] | None:
        """The event, when its content may go to this pusher: allowed by config and the pusher's format, the
        room not encrypted nor classified (issue 12: a classified room's content never leaves the server), the
        event not redacted meanwhile."""
        if not wants_content(pusher, self.config.include_content):
            return None
        events = self.storage.events
        if await events.current_state_event(queued.room_id, "m.room.encryption", "") is not None:
            return None
        classification = await events.current_state_event(queued.room_id, CLASSIFICATION_EVENT, "")
        if classification is not None and marking_of(classification.event["content"]) is not None:
            return None
        stored = await events.get_event(queued.event_id)
        return None if stored is None or stored.redacted else stored.event

    async def _unread_count(self, user_id: str) -> int:
        """The badge: notifications in every joined room, counted as /sync counts them."""
        rooms = await self.storage.rooms.rooms_for_user(user_id)
        counts = await self.unread.counts(rooms, user_id, self.notifier.complete_upto)
        return sum(notifications for notifications, _ in counts.values())
