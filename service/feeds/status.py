"""What the service knows of each feed, for /readyz, the metrics and the logs."""

from __future__ import annotations

import math
from dataclasses import dataclass

import structlog

from service.metrics import Metrics

__all__ = ["FeedHooks", "FeedStatus"]

log = structlog.get_logger(__name__)


@dataclass(slots=True)
class FeedStatus:
    """The live state of one feed. `last_success` is unix time (None: never)."""

    name: str = ""
    kind: str = ""
    interval_s: float = 0.0
    last_success: float | None = None
    last_attempt: float | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    backoff_s: float = 0.0
    circuit_open: bool = False
    budget_remaining: float | None = None

    def fresh(self, now: float, intervals: float = 4.0) -> bool:
        """Did the feed succeed within `intervals` of its interval (at least 60 s)?"""
        if self.last_success is None:
            return False
        return now - self.last_success <= max(60.0, intervals * self.interval_s)


class FeedHooks:
    """Record outcomes of one feed on its status and the Prometheus metrics."""

    def __init__(self, status: FeedStatus, metrics: Metrics | None) -> None:
        self.status = status
        self.metrics = metrics
        self._logged_failure: tuple[str, float] | None = None

    @property
    def name(self) -> str:
        return self.status.name

    def request(self, outcome: str, seconds: float, now: float) -> None:
        """One request finished with `outcome` ("ok" or a failure reason)."""
        status = self.status
        status.last_attempt = now
        if self.metrics is not None:
            self.metrics.feed_requests.labels(status.name, outcome).inc()
            self.metrics.feed_seconds.labels(status.name).observe(seconds)
        if outcome == "ok":
            status.last_success = now
            status.last_error = None
            status.consecutive_failures = 0
            if self.metrics is not None:
                self.metrics.feed_last_success.labels(status.name).set(now)
        else:
            status.last_error = outcome
            status.consecutive_failures += 1

    def ended(self, reason: str, now: float) -> None:
        """A stream that was up ended (SBS): counted as an outcome, without a duration."""
        if self.metrics is not None:
            self.metrics.feed_requests.labels(self.status.name, reason).inc()
        self.status.last_attempt = now
        self.status.last_error = reason
        self.status.consecutive_failures += 1

    def positions(self, count: int, data_time: float) -> None:
        """`count` positions arrived in data the source dated `data_time` (unix s)."""
        if self.metrics is not None:
            if count:
                self.metrics.feed_positions.labels(self.status.name).inc(count)
            self.metrics.feed_data_time.labels(self.status.name).set(data_time)

    def rejected(self, reasons: dict[str, int]) -> None:
        """Records of one response that were dropped, by reason."""
        if self.metrics is not None:
            for reason, count in reasons.items():
                self.metrics.records_rejected.labels(self.status.name, reason).inc(count)

    def waiting(self, seconds: float, reason: str | None, detail: str = "") -> None:
        """The feed waits `seconds` because of `reason` (None: healthy cadence).

        Logs one line per backoff step, so an outage reads as a short, growing series
        rather than a line per attempt of every feed.
        """
        seconds = max(0.0, seconds) if reason is not None else 0.0
        self.status.backoff_s = seconds
        if self.metrics is not None:
            self.metrics.feed_backoff.labels(self.status.name).set(seconds)
        if reason is not None:
            log.warning(
                "feed.backoff",
                source=self.status.name,
                reason=reason,
                detail=detail or None,
                failures=self.status.consecutive_failures,
                retry_in_s=round(seconds, 1),
            )

    def circuit(self, is_open: bool) -> None:
        if is_open != self.status.circuit_open:
            log.warning(
                "feed.circuit_opened" if is_open else "feed.circuit_closed", source=self.status.name
            )
        self.status.circuit_open = is_open
        if self.metrics is not None:
            self.metrics.feed_circuit_open.labels(self.status.name).set(1 if is_open else 0)

    def budget(self, remaining: float | None) -> None:
        self.status.budget_remaining = remaining
        if self.metrics is not None:
            value = math.inf if remaining is None else remaining
            self.metrics.feed_budget_remaining.labels(self.status.name).set(value)
