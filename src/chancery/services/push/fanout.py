"""Fan-out: which pushers hear of which events, written to the durable push queue.

Off the send path: a send only stores the event with its notification class (events/notifications.py), as
it always did. This step reads the events committed since the last pass, finds each recipient with a
pusher (the same rule /sync counts by: a notifying event or a mention, by someone else, to a joined
member; and pending invites; then the recipient's own push rules, user_rules.py) and queues one row per
(pusher, event), advancing its position in the same transaction. Only positions every process has
announced are read (`Notifier.complete_upto`), so an event whose lower position commits late is never
skipped; on PostgreSQL the position row is locked for the pass, so each event is queued once whichever
process gets there first.
"""

from __future__ import annotations

from ...clock import Clock
from ...storage import Storage
from .user_rules import UserRuleFilter

IDLE_ADVANCE_MS = 5_000  # with nothing to queue, the position is still written down this often
_MAX_WINDOW = 2_000  # stream positions read in one pass


class PushFanout:
    def __init__(self, storage: Storage, clock: Clock, user_rules: UserRuleFilter) -> None:
        self.storage = storage
        self.clock = clock
        self.user_rules = user_rules
        self._position: int | None = None  # as last read or written here
        self._advanced_at = 0

    async def run(self, upto: int) -> int:
        """Queue the notifications of events up to `upto` (a prefix of the stream complete everywhere);
        returns how many rows were queued."""
        pushers = self.storage.pushers
        if self._position is None:
            async with self.storage.db.transaction() as txn:
                self._position = await pushers.lock_fanout_position(txn)
        after = self._position
        if upto <= after:
            return 0
        upto = min(upto, after + _MAX_WINDOW)
        # Read and decide before the write transaction: most passes find nothing to queue and need no write
        # at all (SQLite has one writer), and the user's own rules are read without holding the lock.
        targets = await self.user_rules.apply(await pushers.push_targets(self.storage.db, after, upto))
        recently_advanced = self.clock.now_ms() - self._advanced_at < IDLE_ADVANCE_MS
        if not targets and recently_advanced and upto < after + _MAX_WINDOW:
            # Nothing to queue: the next pass reads on from here (not the whole idle window again). The
            # position is written down every IDLE_ADVANCE_MS; a write finding the stored position behind this
            # one decides again from the stored one (below), so nothing is skipped across processes.
            self._position = upto
            return 0
        async with self.storage.db.transaction() as txn:
            locked = await pushers.lock_fanout_position(txn)
            if locked != after:  # another process got further, or idle passes read ahead: decide from the stored one
                upto = max(upto, locked)
                found = await pushers.push_targets(txn, locked, upto) if upto > locked else []
                targets = await self.user_rules.apply(found)
            await pushers.enqueue(txn, targets, self.clock.now_ms())
            await pushers.set_fanout_position(txn, upto)
        self._position = upto
        self._advanced_at = self.clock.now_ms()
        return len(targets)
