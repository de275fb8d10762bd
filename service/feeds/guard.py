"""Per-feed protection: exponential backoff with jitter, a circuit breaker, a daily
budget, and the spacing of requests to one host.

The daily budget itself is arithmetic on one process's view; the poller persists what
it spends in the store (`Store.spend_budget`) and feeds the store's count back in
(`DailyBudget.sync`), so a restart continues the day's count instead of starting over."""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field

from service.clock import SYSTEM_CLOCK, Clock

__all__ = [
    "Backoff",
    "CircuitBreaker",
    "DailyBudget",
    "HostSpacing",
    "time_problem",
    "utc_day",
]

_DAY_S = 86400.0


@dataclass(slots=True)
class Backoff:
    """Exponential backoff with jitter, starting at `base_s` and capped at `max_s`.

    The wait after the n-th consecutive failure is drawn uniformly from the upper half
    of min(max_s, base_s * 2**n) ("equal jitter"): spread out so that many feeds do
    not retry in step, but never shorter than half the nominal step.
    """

    base_s: float
    max_s: float
    rng: random.Random = field(default_factory=random.Random)
    failures: int = 0

    def next_wait(self) -> float:
        """Record one more failure and return how long to wait before retrying."""
        self.failures += 1
        step = min(self.max_s, self.base_s * 2.0 ** min(self.failures, 32))
        return self.rng.uniform(step / 2, step)

    def reset(self) -> None:
        """A success: the next failure starts from the base again."""
        self.failures = 0


@dataclass(slots=True)
class CircuitBreaker:
    """Opens after `threshold` consecutive failures; while open, one probe every
    `probe_after_s`. A successful probe closes it, a failed one keeps it open."""

    threshold: int
    probe_after_s: float
    failures: int = 0
    opened_at: float | None = None

    @property
    def is_open(self) -> bool:
        return self.opened_at is not None

    def wait_before_request(self, now: float) -> float:
        """Seconds until a request may be sent (0 when closed or a probe is due)."""
        if self.opened_at is None:
            return 0.0
        return max(0.0, self.opened_at + self.probe_after_s - now)

    def record_success(self) -> None:
        self.failures = 0
        self.opened_at = None

    def record_failure(self, now: float) -> bool:
        """Count a failure; True when this failure opened (or re-armed) the breaker."""
        self.failures += 1
        if self.failures >= self.threshold:
            self.opened_at = now
            return True
        return False


@dataclass(slots=True)
class DailyBudget:
    """Requests or credits allowed per UTC day; `limit` None means unlimited.

    Counted here; `sync` raises the count to what the store says was spent today (by
    this feed before a restart, or by another instance), and a provider's own counter
    (OpenSky's X-Rate-Limit-Remaining) is trusted when lower.
    """

    limit: int | None
    spent: float = 0.0
    day: int = -1
    reported_remaining: float | None = None

    def _roll(self, now: float) -> None:
        day = int(now // _DAY_S)
        if day != self.day:
            self.day, self.spent, self.reported_remaining = day, 0.0, None

    def remaining(self, now: float) -> float | None:
        """What is left today (None when unlimited)."""
        self._roll(now)
        if self.limit is None:
            return self.reported_remaining
        left = self.limit - self.spent
        if self.reported_remaining is not None:
            left = min(left, self.reported_remaining)
        return max(0.0, left)

    def try_spend(self, cost: float, now: float) -> bool:
        """Spend `cost` if today's budget allows it."""
        left = self.remaining(now)
        if left is not None and cost > left:
            return False
        self.spent += cost
        if self.reported_remaining is not None:
            self.reported_remaining -= cost
        return True

    def sync(self, spent: float, now: float) -> None:
        """The store counted `spent` for today: never count less than that."""
        self._roll(now)
        self.spent = max(self.spent, spent)

    @staticmethod
    def whole(cost: float) -> int:
        """A request's cost as the store counts it (whole units, rounded up)."""
        return max(0, math.ceil(cost))

    def report(self, remaining: float, now: float) -> None:
        """The provider told us what it has left for us (trusted when lower)."""
        self._roll(now)
        self.reported_remaining = remaining

    def pace_s(self, cost: float, now: float) -> float:
        """The wait before spending `cost` again so that what is left lasts the day.

        0 when unlimited; a tight budget stretches the cadence instead of running
        dry in the afternoon and leaving the feed dark until midnight.
        """
        left = self.remaining(now)
        if left is None or cost <= 0:
            return 0.0
        if left < cost:
            return self.seconds_to_reset(now)
        return self.seconds_to_reset(now) * cost / left

    @staticmethod
    def seconds_to_reset(now: float) -> float:
        """Seconds until the next UTC midnight, when budgets refill."""
        return _DAY_S - (now % _DAY_S)


def time_problem(now: float, wall: float, max_skew_s: float, max_age_s: float) -> str | None:
    """Why a snapshot dated `now` cannot be live data at wall time `wall`, if it cannot:
    "future_snapshot" (ahead by more than `max_skew_s`) or "stale_snapshot" (behind by
    more than `max_age_s`)."""
    if now > wall + max_skew_s:
        return "future_snapshot"
    if now < wall - max_age_s:
        return "stale_snapshot"
    return None


def utc_day(now: float) -> str:
    """The UTC day of a wall-clock time, as "YYYY-MM-DD" (the budget's day)."""
    return time.strftime("%Y-%m-%d", time.gmtime(now))


class HostSpacing:
    """At most one request per `gap_s` to each public host, across all feeds.

    Providers state their limit per client (adsb.fi, airplanes.live: 1 request/s), so
    two feed entries on one provider share it. Local hosts (your receiver, a test
    server) are not spaced.
    """

    def __init__(self, clock: Clock | None = None, gap_s: float = 1.0) -> None:
        self.clock = clock or SYSTEM_CLOCK
        self.gap_s = gap_s
        self._next: dict[str, float] = {}

    async def wait_turn(self, host: str) -> None:
        """Sleep until this host may get the next request, and book that slot."""
        now = self.clock.monotonic()
        at = max(now, self._next.get(host, now))
        self._next[host] = at + self.gap_s
        if at > now:
            await self.clock.sleep(at - now)
