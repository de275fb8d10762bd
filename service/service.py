"""`borderwatch run`: feeds, pipeline, deliveries and the HTTP endpoints on one event loop.

Tasks run in one asyncio TaskGroup: one poller per feed, the pipeline consumer, the
delivery worker and the HTTP server. SIGTERM or SIGINT stops the pollers, lets the
pipeline finish the snapshots already received, and gives deliveries a deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time

import aiohttp
import structlog
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from service.alerts.notification import Notification
from service.app import App, build_app
from service.config import Settings
from service.deliver.dispatch import Dispatcher, targets_from
from service.feeds.poller import FeedStatus, poll_feed
from service.metrics import Metrics
from service.models import Snapshot

log = structlog.get_logger(__name__)

# How long queued notifications may still be delivered after SIGTERM.
SHUTDOWN_DELIVERY_DEADLINE_S = 20.0
# A feed counts as fresh for /readyz within this many of its intervals.
FRESH_INTERVALS = 4


def http_app(app: App, feeds: dict[str, FeedStatus]) -> web.Application:
    """/metrics, /healthz (alive), /readyz (store reachable, a feed fresh) and
    /api/candidates (weak-evidence aircraft for review, JSON)."""

    async def metrics(_: web.Request) -> web.Response:
        body = generate_latest(app.metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def candidates(_: web.Request) -> web.Response:
        # Weak-evidence aircraft for review, most recently seen first (service/candidates.py).
        found = [c.to_json() for c in app.pipeline.candidates.candidates()]
        return web.json_response({"count": len(found), "candidates": found})

    async def readyz(_: web.Request) -> web.Response:
        problems = []
        try:
            if not await asyncio.wait_for(app.store.ping(), timeout=2):
                problems.append("store not answering")
        except (TimeoutError, OSError, RuntimeError):
            problems.append("store not answering")
        intervals = {feed.name: feed.interval_s for feed in app.settings.feeds if feed.enabled}
        if intervals:
            now = time.time()
            fresh = [
                name
                for name, status in feeds.items()
                if status.last_success is not None
                and now - status.last_success <= FRESH_INTERVALS * intervals[name]
            ]
            if not fresh:
                problems.append("no feed answered recently")
        status = 503 if problems else 200
        return web.json_response({"ready": not problems, "problems": problems}, status=status)

    web_app = web.Application()
    web_app.router.add_get("/metrics", metrics)
    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/readyz", readyz)
    web_app.router.add_get("/api/candidates", candidates)
    return web_app


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
    app = await build_app(settings, metrics)
    feeds = {feed.name: FeedStatus() for feed in settings.feeds if feed.enabled}
    snapshots: asyncio.Queue[Snapshot] = asyncio.Queue(maxsize=64)
    outbox: asyncio.Queue[Notification] = asyncio.Queue()
    runner = web.AppRunner(http_app(app, feeds), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.http.host, settings.http.port)
    await site.start()
    log.info("service.started", port=settings.http.port, feeds=sorted(feeds))
    if started is not None:
        started.set()

    def on_outcome(name: str, outcome: str, seconds: float) -> None:
        metrics.feed_requests.labels(name, outcome).inc()
        metrics.feed_seconds.labels(name).observe(seconds)
        if outcome == "ok":
            metrics.feed_last_success.labels(name).set(time.time())

    async def consume() -> None:
        while True:
            snapshot = await snapshots.get()
            clock = app.pipeline.clock
            if clock is not None and snapshot.now <= clock:
                # Another source's snapshot a little behind: positions still count.
                snapshot.now = clock + 0.001
            for notification in await app.pipeline.process(snapshot, source="live"):
                outbox.put_nowait(notification)
            snapshots.task_done()

    async with aiohttp.ClientSession() as session:
        dispatcher = Dispatcher(session, targets_from(settings.receivers), metrics)

        async def deliver_forever() -> None:
            while True:
                notification = await outbox.get()
                await dispatcher.send(notification)
                outbox.task_done()

        try:
            async with asyncio.TaskGroup() as group:
                pollers = [
                    group.create_task(
                        poll_feed(session, feed, feeds[feed.name], snapshots.put, on_outcome)
                    )
                    for feed in settings.feeds
                    if feed.enabled
                ]
                consumer = group.create_task(consume())
                deliverer = group.create_task(deliver_forever())
                await stop.wait()
                log.info("service.stopping")
                for task in pollers:
                    task.cancel()
                try:
                    # Finish what was received, then deliver what it produced.
                    async with asyncio.timeout(SHUTDOWN_DELIVERY_DEADLINE_S):
                        await snapshots.join()
                        await outbox.join()
                except TimeoutError:
                    log.warning("service.undelivered", notifications=outbox.qsize())
                consumer.cancel()
                deliverer.cancel()
        finally:
            await runner.cleanup()
            await app.close()
    log.info("service.stopped")
    return 0
