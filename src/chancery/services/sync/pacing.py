"""How often one device's long-poll is answered while events keep arriving.

Without pacing, a device in busy rooms gets one /sync response per round trip, each carrying a few events:
under load the server then spends its time building responses instead of accepting messages. A device's
next long-poll after a non-empty answer therefore waits until `interval()` has passed since that answer,
and the response carries everything that arrived meanwhile.

The interval follows the load: building non-empty responses may take about SYNC_SHARE of the process's
time, so the interval is (devices answered in the last second) x (average time to build a response) /
SYNC_SHARE, at most MAX_INTERVAL_S. A few devices, or a fast machine, get answers at once; many busy
devices on a loaded machine get batches, each delayed by at most MAX_INTERVAL_S.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict

SYNC_SHARE = 0.25
MAX_INTERVAL_S = 0.1
ACTIVE_WINDOW_S = 1.0
_SMOOTHING = 0.1  # weight of the newest build time in the running average
_MAX_DEVICES = 100_000

Device = tuple[str, str]


class SyncPacer:
    def __init__(self) -> None:
        self._answered: OrderedDict[Device, float] = OrderedDict()  # device -> when, oldest first
        self._build_s = 0.0

    def interval(self) -> float:
        self._forget_before(time.monotonic() - ACTIVE_WINDOW_S)
        return min(MAX_INTERVAL_S, len(self._answered) * self._build_s / SYNC_SHARE)

    async def pace(self, device: Device) -> None:
        """Before building a long-poll's response: wait out the rest of the device's interval."""
        answered = self._answered.get(device)
        if answered is not None:
            wait = answered + self.interval() - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)

    def answered(self, device: Device, build_s: float) -> None:
        """A non-empty response went to `device`; building it took `build_s`."""
        self._build_s += _SMOOTHING * (build_s - self._build_s)
        self._answered[device] = time.monotonic()
        self._answered.move_to_end(device)
        while len(self._answered) > _MAX_DEVICES:
            self._answered.popitem(last=False)

    def _forget_before(self, cutoff: float) -> None:
        while self._answered and next(iter(self._answered.values())) < cutoff:
            self._answered.popitem(last=False)
