"""`borderwatch run`: feeds, pipeline, deliveries and the HTTP endpoints on one event loop.

Tasks run in one asyncio TaskGroup: one poller per feed, the pipeline consumer, the
delivery worker and the HTTP server. SIGTERM or SIGINT stops the pollers, lets the
pipeline finish the snapshots already received, and gives deliveries a deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal

import aiohttp
import structlog
from aiohttp import web

from service.app import build_app, build_feeds, build_worker
from service.feeds.fuse import Fuser
from service.feeds.running import fused_emit, new_status
from service.http import build_http_app
from service.metrics import Metrics
from service.models import Snapshot
from service.runtime.heartbeat import beat_forever, farewell, record_notifications
from service.settings import Settings

log = structlog.get_logger(__name__)

# How long the snapshots already received may still be processed after SIGTERM.
SHUTDOWN_DELIVERY_DEADLINE_S = 20.0
# Then how long due notifications may still be delivered; the rest stay in the outbox.
SHUTDOWN_DRAIN_S = 5.0


async def run_service(
    settings: Settings,
    stop: asyncio.Event | None = None,
    started: asyncio.Event | None = None,
) -> int:
    """Run until SIGTERM/SIGINT (or `stop` is set); `started` is set once HTTP listens."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    metrics = Metrics()
    app = await build_app(settings, metrics, deliver=True)
    feeds = {feed.name: new_status(feed) for feed in settings.feeds if feed.enabled}
    snapshots: asyncio.Queue[Snapshot] = asyncio.Queue(maxsize=64)
    runner = web.AppRunner(build_http_app(app, feeds), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.http.host, settings.http.port)
    await site.start()
    log.info("service.started", port=settings.http.port, feeds=sorted(feeds))
    for name, why in settings.disabled_receivers():
        log.info("receiver.disabled", receiver=name, why=why)
    if started is not None:
        started.set()

    async def consume() -> None:
        while True:
            snapshot = await snapshots.get()
            produced = await app.pipeline.process(snapshot, source="live")
            await record_notifications(app, produced)
            if produced:
                worker.kick()  # queued durably by the pipeline; deliver without waiting
            snapshots.task_done()

    async with aiohttp.ClientSession() as session:
        worker = build_worker(app, session)

        try:
            async with asyncio.TaskGroup() as group:
                # Each feed in its own task (a slow one waits alone), all fused into
                # one stream before the pipeline (service/feeds/fuse.py).
                running = build_feeds(app, session, feeds)
                # Fused snapshots come strictly after the restored feed clock, so the
                # pipeline never skips one as already processed.
                emit = fused_emit(Fuser(after=app.fleet.feed_clock), snapshots)
                pollers = [group.create_task(feed.runner.run(emit)) for feed in running]
                consumer = group.create_task(consume())
                deliverer = group.create_task(worker.run())
                beater = group.create_task(beat_forever(app))
                await stop.wait()
                log.info("service.stopping")
                for task in pollers:
                    task.cancel()
                try:
                    # Finish what was received; its notifications are in the outbox.
                    async with asyncio.timeout(SHUTDOWN_DELIVERY_DEADLINE_S):
                        await snapshots.join()
                except TimeoutError:
                    log.warning("service.unprocessed", snapshots=snapshots.qsize())
                consumer.cancel()
                deliverer.cancel()
                # Deliver what is due, briefly; the rest waits in the outbox (durable
                # with Redis) and goes out after the next start, with the same ids.
                left = await worker.drain(SHUTDOWN_DRAIN_S)
                await worker.close(grace_s=1.0)
                if left:
                    log.warning("service.undelivered", notifications=left)
                beater.cancel()
        finally:
            await runner.cleanup()
            await farewell(app)
            await app.close()
    log.info("service.stopped")
    return 0
