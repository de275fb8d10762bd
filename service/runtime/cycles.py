"""The poll cycle's p99 and max, reported by the service itself.

The histogram `borderwatch_poll_cycle_duration_seconds` gives quantiles only as far as
its buckets go and no maximum; a stall (one cycle taking most of the poll interval)
must show as it is. So the runtime also keeps the cycle times of the current period
and, every `period_s`, logs their count, p50, p99 and max (`pipeline.cycles`) and sets
`borderwatch_poll_cycle_max_seconds` to that period's max.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from service.metrics import Metrics

log = structlog.get_logger(__name__)

REPORT_PERIOD_S = 300.0


@dataclass(frozen=True, slots=True)
class CycleSummary:
    """The poll cycles of one period, in seconds."""

    cycles: int
    p50_s: float
    p99_s: float
    max_s: float


def summarise(seconds: list[float]) -> CycleSummary:
    """Count, p50, p99 (nearest rank) and max of cycle times; at least one is needed."""
    ordered = sorted(seconds)
    count = len(ordered)

    def rank(q: float) -> float:
        return ordered[max(0, math.ceil(q * count) - 1)]

    return CycleSummary(count, rank(0.50), rank(0.99), ordered[-1])


class CycleReport:
    """Collects cycle times and reports each period's summary (see the module)."""

    def __init__(
        self,
        metrics: Metrics,
        period_s: float = REPORT_PERIOD_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._metrics = metrics
        self._period_s = period_s
        self._clock = clock
        self._seconds: list[float] = []
        self._since = clock()

    def observe(self, seconds: float) -> CycleSummary | None:
        """Record one cycle; at the end of a period, report it and return its summary."""
        self._metrics.cycle_seconds.observe(seconds)
        self._seconds.append(seconds)
        now = self._clock()
        if now - self._since < self._period_s:
            return None
        summary = summarise(self._seconds)
        self._seconds, self._since = [], now
        self._metrics.cycle_max_seconds.set(summary.max_s)
        log.info("pipeline.cycles", cycles=summary.cycles, p50_ms=round(summary.p50_s * 1000, 1),
                 p99_ms=round(summary.p99_s * 1000, 1), max_ms=round(summary.max_s * 1000, 1),
                 period_s=self._period_s)  # fmt: skip
        return summary
