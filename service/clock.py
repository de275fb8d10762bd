"""The one clock every part of the service reads time from, injectable for tests.

`time()` is wall-clock unix seconds (budgets, delivery schedules, timestamps),
`monotonic()` measures intervals (TTLs of the in-process store, backoffs, timings) and
`sleep()` waits. Tests pass a fake clock and move time by hand instead of sleeping.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    """Wall time, monotonic time and sleeping."""

    def time(self) -> float: ...

    def monotonic(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The system clock."""

    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


SYSTEM_CLOCK = SystemClock()
