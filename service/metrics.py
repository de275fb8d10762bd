"""Prometheus metrics, defined in one place on a registry that is passed around.

Names use the `borderwatch_` prefix and base units; labels are bounded (source,
reason, rule, status, receiver, outcome, stage), never an address or a callsign.
docs/metrics.md is the reference.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)

_STAGE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_DELIVERY_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_CYCLE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

# (status, kind) pairs a notification can have: firing when an episode opens or is
# updated, resolved when it closes.
ALERT_SERIES = (("firing", "opened"), ("firing", "update"), ("resolved", "resolved"))


class Metrics:
    """Every metric the service exports, registered on its own registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        # The standard process_* and python_* series (memory, CPU, open files, GC), on
        # this registry rather than the global one so tests can build many.
        ProcessCollector(registry=r)
        PlatformCollector(registry=r)
        GCCollector(registry=r)
        self.build_info = Gauge(
            "borderwatch_build_info",
            "Always 1; the labels say which version and commit is running.",
            ["version", "commit"],
            registry=r,
        )
        self.snapshots = Counter(
            "borderwatch_snapshots", "Feed snapshots processed.", ["source"], registry=r
        )
        self.positions = Counter(
            "borderwatch_positions", "Positions accepted into the pipeline.", ["source"], registry=r
        )
        self.rejected = Counter(
            "borderwatch_positions_rejected",
            "Input dropped, by reason (bad records, impossible positions, bad lines).",
            ["reason"],
            registry=r,
        )
        self.records_rejected = Counter(
            "borderwatch_records_rejected",
            "Feed records dropped while decoding, by feed (source) and reason.",
            ["source", "reason"],
            registry=r,
        )
        self.store_up = Gauge(
            "borderwatch_store_up",
            "1 while the store answers (always, in memory), 0 during an outage.",
            registry=r,
        )
        self.store_errors = Counter(
            "borderwatch_store_errors",
            "Store operations that failed (or were not tried, during an outage).",
            ["operation"],
            registry=r,
        )
        self.notifications_pending = Gauge(
            "borderwatch_notifications_pending",
            "Notifications produced while the store was down, waiting to be recorded and "
            "queued for delivery.",
            registry=r,
        )
        self.snapshots_dropped = Counter(
            "borderwatch_snapshots_dropped",
            "Snapshots dropped unprocessed because the buffer in front of the pipeline "
            "was full (the pipeline was waiting for the store).",
            registry=r,
        )
        self.aircraft_evicted = Counter(
            "borderwatch_aircraft_evicted",
            "Followed aircraft forgotten because the fleet reached track.max_aircraft "
            "(the least recently heard go first).",
            registry=r,
        )
        self.aircraft_tracked = Gauge(
            "borderwatch_aircraft_tracked",
            "Government, military and police aircraft with a track in memory.",
            registry=r,
        )
        self.aircraft_abroad = Gauge(
            "borderwatch_aircraft_abroad",
            "Tracked state aircraft whose last position is outside their own state.",
            registry=r,
        )
        self.episodes_open = Gauge(
            "borderwatch_episodes_open", "Alert episodes currently open.", ["rule"], registry=r
        )
        self.alerts = Counter(
            "borderwatch_alerts",
            "Notifications produced, by rule, status (firing/resolved) and kind.",
            ["rule", "status", "kind"],
            registry=r,
        )
        self.duplicates = Counter(
            "borderwatch_notifications_duplicate",
            "Notifications not produced again because the notification log already had them.",
            registry=r,
        )
        self.deliveries = Counter(
            "borderwatch_deliveries",
            "Deliveries finished, by receiver and outcome.",
            ["receiver", "outcome"],
            registry=r,
        )
        self.delivery_attempts = Counter(
            "borderwatch_delivery_attempts",
            "Delivery attempts (HTTP requests, apprise sends), by receiver and outcome.",
            ["receiver", "outcome"],
            registry=r,
        )
        self.delivery_seconds = Histogram(
            "borderwatch_delivery_attempt_duration_seconds",
            "Duration of one delivery attempt.",
            ["receiver"],
            buckets=_DELIVERY_BUCKETS,
            registry=r,
        )
        self.outbox_depth = Gauge(
            "borderwatch_outbox_depth",
            "Notifications waiting in the outbox (all receivers).",
            registry=r,
        )
        self.outbox_oldest_age = Gauge(
            "borderwatch_outbox_oldest_pending_age_seconds",
            "Age of the oldest notification waiting in the outbox; 0 when empty.",
            registry=r,
        )
        self.dead_letters = Gauge(
            "borderwatch_dead_letters",
            "Notifications given up on (dead letters), by receiver.",
            ["receiver"],
            registry=r,
        )
        self.delivery_leader = Gauge(
            "borderwatch_delivery_leader",
            "1 while this instance holds the delivery lease (it delivers the outbox), else 0.",
            registry=r,
        )
        self.silenced = Counter(
            "borderwatch_silenced_notifications",
            "Notifications not sent because a silence matched, by rule.",
            ["rule"],
            registry=r,
        )
        self.stage_seconds = Histogram(
            "borderwatch_stage_duration_seconds",
            "Time spent per snapshot in each pipeline stage.",
            ["stage"],
            buckets=_STAGE_BUCKETS,
            registry=r,
        )
        self.feed_requests = Counter(
            "borderwatch_feed_requests",
            "Feed polls, by source and outcome (ok or a failure reason).",
            ["source", "outcome"],
            registry=r,
        )
        self.feed_seconds = Histogram(
            "borderwatch_feed_request_duration_seconds",
            "Duration of one feed poll (request and decoding).",
            ["source"],
            buckets=_DELIVERY_BUCKETS,
            registry=r,
        )
        self.feed_last_success = Gauge(
            "borderwatch_feed_last_success_timestamp_seconds",
            "Unix time of the last successful poll of each source.",
            ["source"],
            registry=r,
        )
        self.feed_positions = Counter(
            "borderwatch_feed_positions",
            "Positions decoded from each source, before fusion.",
            ["source"],
            registry=r,
        )
        self.feed_backoff = Gauge(
            "borderwatch_feed_backoff_seconds",
            "Current wait of each source due to failures, Retry-After or an open breaker; "
            "0 when healthy.",
            ["source"],
            registry=r,
        )
        self.feed_circuit_open = Gauge(
            "borderwatch_feed_circuit_open",
            "1 while the source's circuit breaker is open, else 0.",
            ["source"],
            registry=r,
        )
        self.feed_budget_remaining = Gauge(
            "borderwatch_feed_budget_remaining",
            "Requests (OpenSky: credits) the source may still use today.",
            ["source"],
            registry=r,
        )
        self.feed_clock = Gauge(
            "borderwatch_feed_clock_seconds",
            "Feed time (unix s) of the last processed snapshot.",
            registry=r,
        )
        self.feed_data_time = Gauge(
            "borderwatch_feed_data_timestamp_seconds",
            "The source's own time (unix s) of the newest data it served: `time() -` this "
            "is how old the data is, even when polls succeed.",
            ["source"],
            registry=r,
        )
        self.foreign_airspace_seconds = Counter(
            "borderwatch_foreign_airspace_seconds",
            "Seconds flown by followed state aircraft inside another country's sovereign "
            "airspace, by the aircraft's state, the country and the category (measured "
            "between consecutive positions closer than history.gap_s).",
            ["state", "country", "category"],
            registry=r,
        )
        self.history_dropped = Counter(
            "borderwatch_history_rows_dropped",
            "History rows (episodes, track points) not written, by reason: queue_full "
            "(the writer fell behind) or write_failed (the file refused a batch).",
            ["reason"],
            registry=r,
        )
        self.cycle_seconds = Histogram(
            "borderwatch_poll_cycle_duration_seconds",
            "Time from taking a snapshot off the buffer to its notifications being "
            "queued (every pipeline stage, the store and the outbox hand-over).",
            buckets=_CYCLE_BUCKETS,
            registry=r,
        )
        self.cycle_max_seconds = Gauge(
            "borderwatch_poll_cycle_max_seconds",
            "The slowest poll cycle of the last report period (5 minutes; 0 before the "
            "first): a stall shows here as it is, not rounded up to a histogram bucket.",
            registry=r,
        )

    def declare(
        self,
        *,
        version: str,
        commit: str,
        rules: Iterable[str] = (),
        receivers: Iterable[str] = (),
        delivery_outcomes: Iterable[str] = (),
        feeds: Iterable[str] = (),
        reject_reasons: Iterable[str] = (),
        started_at: float | None = None,
    ) -> None:
        """Create every series a dashboard or alerting rule reads, at 0, before the
        first event: `increase()` and `rate()` only see a counter's first event when
        the series existed before it. `started_at` (unix s) stands in for the last
        success of each feed until its first one, so a feed that never answers goes
        stale instead of having no series at all."""
        self.build_info.labels(version, commit).set(1)
        for reason in ("queue_full", "write_failed"):
            self.history_dropped.labels(reason)
        self.snapshots.labels("live")
        self.positions.labels("live")
        for reason in reject_reasons:
            self.rejected.labels(reason)
        for rule in rules:
            for status, kind in ALERT_SERIES:
                self.alerts.labels(rule, status, kind)
            self.silenced.labels(rule)
            self.episodes_open.labels(rule).set(0)
        for receiver in receivers:
            for outcome in delivery_outcomes:
                self.deliveries.labels(receiver, outcome)
            self.dead_letters.labels(receiver).set(0)
        for feed in feeds:
            self.feed_requests.labels(feed, "ok")
            self.feed_positions.labels(feed)
            for reason in reject_reasons:
                self.records_rejected.labels(feed, reason)
            self.feed_backoff.labels(feed).set(0)
            self.feed_circuit_open.labels(feed).set(0)
            if started_at is not None:
                self.feed_last_success.labels(feed).set(started_at)
