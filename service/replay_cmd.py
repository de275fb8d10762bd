"""`borderwatch replay`: a recording through the whole pipeline on its own clock."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TextIO

import aiohttp
import structlog

from service.app import build_app
from service.deliver.outbox import OutboxWorker
from service.feeds.replay import iter_snapshots
from service.pipeline import Stats
from service.render.source import map_source
from service.settings import Settings

log = structlog.get_logger(__name__)

# How long `replay --deliver` keeps delivering after the recording ends; what is left
# stays in the outbox (in Redis, when configured) for the next run or the service.
DRAIN_TIMEOUT_S = 120.0


async def replay(settings: Settings, path: str, *, deliver: bool, out: TextIO) -> str:
    """Replay `path`; print (or deliver) each notification; return the summary line."""
    started = time.monotonic()
    app = await build_app(settings)
    pipeline = app.pipeline
    session: aiohttp.ClientSession | None = None
    worker: OutboxWorker | None = None
    running: asyncio.Task[None] | None = None
    if deliver:
        # Deliveries go through the durable outbox, as in `borderwatch run`: entries left
        # by an interrupted earlier run are delivered too, with their original ids.
        session = aiohttp.ClientSession()
        pipeline.receivers = settings.receivers
        worker = OutboxWorker(
            app.store,
            session,
            settings.receivers,
            app.metrics,
            sent_ttl_s=settings.store.notification_log_ttl_s,
            map_source=map_source(app),
            lease_ttl_s=settings.store.delivery_lease_ttl_s,
        )
        running = asyncio.create_task(worker.run())
    try:
        for item in iter_snapshots(path):
            if item.snapshot is None:
                pipeline.reject(item.error or "malformed_line")
                continue
            for notification in await pipeline.process(item.snapshot):
                if worker is not None:
                    worker.kick()
                else:
                    out.write(notification.body().decode() + "\n")
                    out.flush()
        if worker is not None and running is not None:
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running
            left = await worker.drain(DRAIN_TIMEOUT_S)
            if left:
                log.warning("replay.undelivered", notifications=left)
    finally:
        if worker is not None:
            if running is not None:
                running.cancel()
            await worker.close(grace_s=0)
        if session is not None:
            await session.close()
        await app.close()
    return summary_line(pipeline.stats, time.monotonic() - started)


def summary_line(stats: Stats, seconds: float) -> str:
    """One line: snapshots, positions, rejected by reason, notifications, seconds."""
    rejected = ", ".join(f"{k}={v}" for k, v in sorted(stats.rejected.items())) or "none"
    skipped = f" ({stats.skipped_snapshots} already processed)" if stats.skipped_snapshots else ""
    return (
        f"replay: {stats.snapshots} snapshots{skipped}, {stats.positions} positions, "
        f"rejected: {rejected}, {stats.notifications} notifications, {seconds:.1f} s"
    )
