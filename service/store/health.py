"""Store health: the metrics and the log lines of Redis coming and going.

`StoreHealth` is the `StoreHooks` the service gives its store: every failed operation
counts in `borderwatch_store_errors_total{operation}` and sets `borderwatch_store_up` to
0; the first success after an outage sets it back to 1. One log line when an outage
starts and one when it ends, however many operations failed in between.
"""

from __future__ import annotations

import structlog

from service.metrics import Metrics

log = structlog.get_logger(__name__)


class StoreHealth:
    """Counts store outcomes; knows whether the store is up."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics
        self.up = True
        self.failed_operations = 0  # during the current outage
        metrics.store_up.set(1)

    def succeeded(self) -> None:
        if not self.up:
            log.info("store.recovered", failed_operations=self.failed_operations)
            self.up, self.failed_operations = True, 0
            self.metrics.store_up.set(1)

    def failed(self, operation: str) -> None:
        self.metrics.store_errors.labels(operation).inc()
        self.failed_operations += 1
        if self.up:
            log.warning("store.unavailable", operation=operation)
            self.up = False
            self.metrics.store_up.set(0)
