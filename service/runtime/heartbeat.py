"""What `borderwatch run` does beside the pipeline: the liveness heartbeat, the record
of produced notifications behind the read API, and the goodbye on shutdown.

The heartbeat key (`<prefix>:alive`, service/store/keys.py) is renewed every
`HEARTBEAT_INTERVAL_S` with a TTL of `HEARTBEAT_TTL_S`: if the process dies it vanishes
within that TTL; a graceful stop deletes it at once.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import Iterable, Sequence

import msgspec
import structlog

from service.alerts.notification import Notification
from service.app import App
from service.deliver.outbox import OutboxWorker
from service.store.base import StoreError

log = structlog.get_logger(__name__)

HEARTBEAT_INTERVAL_S = 10.0
HEARTBEAT_TTL_S = 30  # three beats: one slow store round trip is not a death


def heartbeat_value(app: App, started_at: float) -> bytes:
    """JSON describing this instance: host, pid, start time, now and the feed clock."""
    return msgspec.json.encode(
        {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "started_at": round(started_at, 3),
            "at": round(time.time(), 3),
            "clock": app.fleet.feed_clock,
        }
    )


async def beat_forever(
    app: App, worker: OutboxWorker | None = None, interval_s: float = HEARTBEAT_INTERVAL_S
) -> None:
    """Renew the liveness key until cancelled, and hand notifications that waited for
    the store to it once it answers (even when no snapshot comes to do it); a store
    failure is logged, not fatal."""
    started_at = time.time()
    failing = False
    while True:
        if app.pipeline.notify.pending:
            await hand_over(app, await app.pipeline.notify.flush(), worker)
        try:
            await app.store.heartbeat(heartbeat_value(app, started_at), ttl_s=HEARTBEAT_TTL_S)
        except StoreError as exc:
            if not failing:  # log the first failure of a run only
                log.warning("heartbeat.failed", error=str(exc))
            failing = True
        else:
            if failing:
                log.info("heartbeat.recovered")
            failing = False
        await asyncio.sleep(interval_s)


async def hand_over(
    app: App, produced: Sequence[Notification], worker: OutboxWorker | None
) -> None:
    """After notifications were claimed (and their deliveries queued durably): record
    them for the API and wake the delivery worker, rather than wait for its next pass."""
    await record_notifications(app, produced)
    if produced and worker is not None:
        worker.kick()


async def record_notifications(app: App, notifications: Iterable[Notification]) -> None:
    """Keep each produced notification for GET /api/alerts and /api/episodes."""
    keep = app.settings.http.recent_alerts_max
    ttl = app.settings.store.notification_log_ttl_s
    for notification in notifications:
        try:
            await app.store.record_notification(
                notification.fingerprint,
                notification.body(),
                resolved=notification.status == "resolved",
                keep=keep,
                ttl_s=ttl,
            )
        except StoreError as exc:
            # The API shows less; delivery (the point of the notification) goes on.
            log.warning("alert.record_failed", id=notification.id, error=str(exc))


async def farewell(app: App) -> None:
    """On a graceful stop: delete the liveness key and save the feed clock."""
    try:
        await app.store.clear_heartbeat()
        if app.fleet.feed_clock is not None:
            await app.store.set_feed_clock(app.fleet.feed_clock)
    except StoreError as exc:
        log.warning("service.farewell_failed", error=str(exc))
