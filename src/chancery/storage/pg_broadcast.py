"""Carries /sync wake-ups between server processes that share one PostgreSQL database (LISTEN/NOTIFY).

Every local notification (stream position and keys, see services/notifier.py) is published with
`pg_notify('chancery', payload)`; every process LISTENs on a dedicated connection and feeds the other
processes' notifications into its own notifier. Nothing here is needed for correctness of the data, only
for promptness: a /sync woken late still sees every committed change when it next looks.

Payload (JSON): {"o": origin process id, "n": [[pos, [key, ...], first?], ...]} or {"o": origin, "all": pos}
("wake everyone up to pos", used when a single key cannot fit). An entry with `first` closes its
transaction's announcement (positions first..pos are then fully known to the receiver); an announcement
whose keys do not fit in one entry is split, and only its last entry carries `first`. PostgreSQL refuses
payloads of 8000 bytes or more, so batches are split to stay below MAX_PAYLOAD_BYTES.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, Protocol

import orjson

from .database import PostgresDatabase
from .stream import current_position

log = logging.getLogger(__name__)

CHANNEL = "chancery"
# Shown in pg_stat_activity, so operators can tell the listening connections apart.
LISTENER_APPLICATION_NAME = "chancery-listener"
MAX_PAYLOAD_BYTES = 7900
PUBLISH_GATHER_S = 0.005
_HEALTH_CHECK_INTERVAL_S = 5.0
_HEALTH_CHECK_TIMEOUT_S = 5.0
_MAX_RECONNECT_DELAY_S = 5.0


class LocalNotifier(Protocol):
    """What this module needs of services/notifier.py's Notifier (storage does not import services)."""

    def set_publisher(self, publisher: Callable[[int, list[str], int], Awaitable[None]] | None) -> None: ...

    def notify_local(self, pos: int, keys: list[str], first: int | None = None) -> None: ...

    def skip_to(self, committed: int) -> None: ...


def encode_payloads(origin: str, batch: list[tuple[int, list[str], int]]) -> Iterator[str]:
    """Pack (pos, keys, first) announcements into as few payloads below MAX_PAYLOAD_BYTES as fit."""
    header = len(orjson.dumps({"o": origin, "n": []}))
    entries: list[list[Any]] = []
    size = header

    def entry_size(entry: list[Any]) -> int:
        return len(orjson.dumps(entry)) + 1

    for pos, keys, first in batch:
        current: list[Any] = [pos, [], first]
        for key in keys:
            key_size = len(orjson.dumps(key)) + 1
            if header + entry_size(current) + key_size > MAX_PAYLOAD_BYTES:
                if not current[1]:
                    # Cannot fit even alone: tell everyone to look (costs one spurious rebuild per waiting /sync).
                    yield orjson.dumps({"o": origin, "all": pos}).decode()
                    continue
                # This announcement continues in the next entry; only its last entry closes the range.
                entries.append([pos, current[1]])
                size += entry_size(entries[-1])
                current = [pos, [], first]
            if size + entry_size(current) + key_size > MAX_PAYLOAD_BYTES and entries:
                yield orjson.dumps({"o": origin, "n": entries}).decode()
                entries, size = [], header
            current[1].append(key)
        if size + entry_size(current) > MAX_PAYLOAD_BYTES and entries:
            yield orjson.dumps({"o": origin, "n": entries}).decode()
            entries, size = [], header
        entries.append(current)
        size += entry_size(current)
    if entries:
        yield orjson.dumps({"o": origin, "n": entries}).decode()


class PgBroadcaster:
    """Publishes this process's notifications and delivers the other processes' to the local notifier."""

    def __init__(self, db: PostgresDatabase, notifier: LocalNotifier) -> None:
        self.db = db
        self.notifier = notifier
        # Random rather than the OS pid: processes on different machines may share a pid.
        self.origin = secrets.token_hex(8)
        self._pending: list[tuple[int, list[str], int]] = []
        self._has_pending = asyncio.Event()
        self._listener: Any = None
        self._connection_lost = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False

    async def start(self) -> None:
        """Listen (failing loudly if PostgreSQL cannot be reached now), then publish local notifications."""
        await self._connect_listener()
        self._tasks = [
            asyncio.create_task(self._publish_loop(), name="pg-broadcast-publish"),
            asyncio.create_task(self._watch_listener(), name="pg-broadcast-listen"),
        ]
        self.notifier.set_publisher(self._enqueue)

    async def close(self) -> None:
        """Stop listening; publish what is still queued so peers do not wait for their long-poll timeout."""
        self._closing = True
        self.notifier.set_publisher(None)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._flush(), 5)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._close_listener()

    # -- publishing ------------------------------------------------------------------------------

    async def _enqueue(self, pos: int, keys: list[str], first: int) -> None:
        # Never wait for PostgreSQL in the request path: the publish loop sends in the background and
        # coalesces whatever accumulated while the previous NOTIFY was in flight. Announcements without
        # keys are sent too: peers need every position to know that they have heard of all of them.
        self._pending.append((pos, list(keys), first))
        self._has_pending.set()

    async def _publish_loop(self) -> None:
        while True:
            await self._has_pending.wait()
            # Gather what else is announced in the next few milliseconds into the same NOTIFY: under load
            # one round trip per burst instead of one per write, for a few ms of cross-process latency.
            await asyncio.sleep(PUBLISH_GATHER_S)
            try:
                await self._flush()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a lost wake-up only delays peers' /syncs; keep publishing the next ones
                log.warning("could not publish a notification to other processes: %s", exc)

    async def _flush(self) -> None:
        self._has_pending.clear()
        batch, self._pending = self._pending, []
        for payload in encode_payloads(self.origin, batch):
            await self.db.pool.execute("SELECT pg_notify($1, $2)", CHANNEL, payload)

    # -- listening -------------------------------------------------------------------------------

    def _on_notification(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            message = orjson.loads(payload)
            if message.get("o") == self.origin:
                return
            if "all" in message:
                self.notifier.skip_to(int(message["all"]))
                return
            for entry in message["n"]:
                first = int(entry[2]) if len(entry) > 2 else None
                self.notifier.notify_local(int(entry[0]), [str(k) for k in entry[1]], first)
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("ignored a malformed notification on channel %s", CHANNEL)

    async def _connect_listener(self) -> None:
        import asyncpg

        conn = await asyncpg.connect(self.db.dsn, server_settings={"application_name": LISTENER_APPLICATION_NAME})
        self._connection_lost.clear()
        conn.add_termination_listener(lambda _conn: self._connection_lost.set())
        await conn.add_listener(CHANNEL, self._on_notification)
        self._listener = conn

    async def _close_listener(self) -> None:
        conn, self._listener = self._listener, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), 2)
            if not conn.is_closed():
                conn.terminate()

    async def _watch_listener(self) -> None:
        """Notice a dead listening connection (closed, or silently gone) and replace it."""
        while not self._closing:
            try:
                await asyncio.wait_for(self._connection_lost.wait(), _HEALTH_CHECK_INTERVAL_S)
            except TimeoutError:
                try:
                    await asyncio.wait_for(self._listener.fetchval("SELECT 1"), _HEALTH_CHECK_TIMEOUT_S)
                    continue
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.warning("the LISTEN connection stopped answering: %s", exc)
            else:
                log.warning("the LISTEN connection to PostgreSQL was lost")
            await self._reconnect()

    async def _reconnect(self) -> None:
        await self._close_listener()
        delay = 0.1
        while not self._closing:
            try:
                await self._connect_listener()
                # Notifications sent while we were not listening are gone: let every waiting /sync look.
                self.notifier.skip_to(await current_position(self.db))
                log.info("listening to other processes' notifications again")
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("could not reconnect the LISTEN connection (retrying in %.1f s): %s", delay, exc)
                await self._close_listener()
                await asyncio.sleep(delay)
                delay = min(delay * 2, _MAX_RECONNECT_DELAY_S)
