"""The one fake clock of the tests: time stands still until the test moves it.

It is a `service.clock.Clock`, so anything that takes a clock takes it: the feed loops,
the delivery worker, the in-process store. Nothing in a test sleeps for real.
"""

from __future__ import annotations

import asyncio

T0 = 1_755_081_600.0  # 2025-08-13 10:40 UTC, the day of the TROY701 flight


class FakeClock:
    """Wall and monotonic time are the same number, `now`; sleepers wake at their
    deadline when the test advances time past it (`advance`, `run_until`)."""

    def __init__(self, now: float = T0) -> None:
        self.now = now
        self.sleepers: list[tuple[float, asyncio.Future[None]]] = []
        self.changed = asyncio.Event()
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time on; sleepers whose deadline passed wake up."""
        self.now += seconds
        for deadline, future in list(self.sleepers):
            if deadline <= self.now and not future.done():
                future.set_result(None)

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (self.now + seconds, future)
        self.sleepers.append(entry)
        self.changed.set()
        try:
            await future
        finally:
            self.sleepers.remove(entry)

    async def idle(self, tasks: int) -> None:
        """Wait until `tasks` loops are all asleep on this clock."""
        while len(self.sleepers) < tasks:
            self.changed.clear()
            await self.changed.wait()

    async def run_until(self, until: float, tasks: int) -> None:
        """Advance time to `until`, waking each sleeper at its deadline in order."""
        while True:
            await self.idle(tasks)
            deadline = min(d for d, _ in self.sleepers)
            if deadline > until:
                self.now = until
                return
            self.now = max(self.now, deadline)
            for d, future in list(self.sleepers):
                if d <= self.now and not future.done():
                    future.set_result(None)
            await asyncio.sleep(0)  # let the woken tasks leave the sleeper list


class InstantClock(FakeClock):
    """Every sleep returns at once (advancing time): for loops that must not wait."""

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        self.changed.set()
        await asyncio.sleep(0)
