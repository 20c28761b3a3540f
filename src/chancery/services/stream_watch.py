"""Starts stream tracking and catches stream positions that were committed but never announced.

Every write in this process (and, through the broadcaster, in the others) announces its positions after
commit. A position nobody announces (a command-line tool writing to the database while the server runs,
a broadcast lost on the way, a code path that forgot) would hold back `Notifier.complete_upto`, and with
it every /sync. Once a second this compares the database's stream counter with what has been announced:
a position still unannounced a whole interval after it was seen committed is skipped over (the floor is
raised past it, so /syncs from older tokens ask the database), and a warning names the range.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from ..storage.database import Database
from ..storage.stream import current_position
from .notifier import Notifier

log = logging.getLogger(__name__)

CHECK_INTERVAL_S = 1.0


class StreamWatch:
    def __init__(self, db: Database, notifier: Notifier, interval_s: float = CHECK_INTERVAL_S) -> None:
        self.db = db
        self.notifier = notifier
        self.interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.notifier.start_tracking(await current_position(self.db))
        self._task = asyncio.create_task(self._run(), name="stream-watch")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        seen_committed: int | None = None
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                committed = await current_position(self.db)
            except Exception as exc:  # the database is away: try again next interval
                log.warning("could not read the stream position: %s", exc)
                continue
            complete = self.notifier.complete_upto
            if seen_committed is not None and complete < seen_committed:
                log.warning(
                    "stream positions %d..%d were committed but not announced; skipping past them",
                    complete + 1,
                    seen_committed,
                )
                self.notifier.skip_to(seen_committed)
            seen_committed = committed if committed > self.notifier.complete_upto else None
