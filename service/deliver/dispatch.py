"""Send each notification to every configured receiver, wiring delivery to metrics and logs."""

from __future__ import annotations

import asyncio

import aiohttp
import structlog

from service.alerts.notification import Notification
from service.config import WebhookReceiver
from service.deliver.webhook import DeliveryOutcome, WebhookTarget, deliver
from service.metrics import Metrics

log = structlog.get_logger(__name__)

USER_AGENT = "borderwatch/0.1 (+https://github.com/borderwatch/borderwatch)"


class _MetricHooks:
    """Delivery instrumentation: explicit hooks, no patching."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def on_attempt(
        self, target_name: str, attempt: int, outcome_label: str, duration_s: float
    ) -> None:
        self.metrics.delivery_attempts.labels(target_name, outcome_label).inc()
        self.metrics.delivery_seconds.labels(target_name).observe(duration_s)

    def on_finished(self, target_name: str, outcome: DeliveryOutcome) -> None:
        self.metrics.deliveries.labels(target_name, str(outcome)).inc()


def targets_from(receivers: list[WebhookReceiver]) -> list[WebhookTarget]:
    """Enabled receivers (those with a URL) as delivery targets."""
    targets = []
    for receiver in receivers:
        if receiver.url is None:
            log.info("receiver.disabled", receiver=receiver.name, why="no url configured")
            continue
        targets.append(
            WebhookTarget(
                name=receiver.name,
                url=receiver.url.get_secret_value(),
                secret=receiver.secret.get_secret_value() if receiver.secret else None,
                timeout_s=receiver.timeout_s,
                max_attempts=receiver.max_attempts,
                backoff_initial_s=receiver.backoff_initial_s,
                backoff_max_s=receiver.backoff_max_s,
            )
        )
    return targets


class Dispatcher:
    """Delivers notifications to all targets concurrently; each delivery is bounded."""

    def __init__(
        self, session: aiohttp.ClientSession, targets: list[WebhookTarget], metrics: Metrics
    ) -> None:
        self.session = session
        self.targets = targets
        self.hooks = _MetricHooks(metrics)

    async def send(self, notification: Notification) -> dict[str, DeliveryOutcome]:
        body = notification.body()
        outcomes = await asyncio.gather(
            *(
                deliver(
                    self.session,
                    target,
                    notification.id,
                    body,
                    user_agent=USER_AGENT,
                    hooks=self.hooks,
                )
                for target in self.targets
            )
        )
        return {t.name: o for t, o in zip(self.targets, outcomes, strict=True)}
