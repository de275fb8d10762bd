"""`borderwatch run`: feeds, pipeline, deliveries and the HTTP endpoints on one event loop.

Tasks run in one asyncio TaskGroup: one loop per feed, the pipeline consumer, the
delivery worker, the heartbeat and the HTTP server.

The store may be down, at start or at any time. At start the HTTP endpoints come up
at once (`/readyz` says the store is not answering) and the feeds poll into a bounded
buffer while the saved state is restored, retried with a bounded backoff; then the
pipeline takes the buffered snapshots in order. Later outages cost nothing: the
pipeline runs on its in-memory state and keeps its notifications in line until the
store answers (service/alerts/notifier.py).

On SIGTERM (or SIGINT) polling stops at once; for `run.shutdown_grace_s` the snapshots
already received are processed and the deliveries in flight may finish, no new one
starts; then the rest waits in the outbox for the next start, the state is saved and
the process exits, within the grace plus `EXIT_MARGIN_S`. A second signal exits at
once: what was accepted is in the outbox already; so does a graceful stop that is
still running after the grace and the margin (logged as `service.stop_overdue`).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time

import aiohttp
import structlog
from aiohttp import web

from service import __version__, commit
from service.app import (
    App,
    build_app,
    build_feeds,
    build_history,
    build_worker,
    declare_metrics,
    warm_up,
)
from service.deliver.outbox import OutboxWorker
from service.feeds.fuse import Fuser, dated_after
from service.feeds.running import fused_emit, new_status
from service.feeds.status import FeedStatus
from service.history.writer import HistoryError
from service.http import build_http_app
from service.metrics import Metrics
from service.pipeline.heap import settle_heap
from service.runtime.buffer import SnapshotBuffer
from service.runtime.cycles import CycleReport
from service.runtime.heartbeat import beat_forever, farewell, hand_over, record_notifications
from service.settings import Settings
from service.store.base import StoreError

log = structlog.get_logger(__name__)

# After the grace, the most the goodbye may take: releasing the delivery lease, saving
# the feed clock, closing the HTTP server (each bounded by the store's own timeout).
EXIT_MARGIN_S = 5.0
RESTORE_RETRY_MIN_S = 0.5
RESTORE_RETRY_MAX_S = 10.0


async def run_service(
    settings: Settings,
    stop: asyncio.Event | None = None,
    started: asyncio.Event | None = None,
) -> int:
    """Run until SIGTERM/SIGINT (or `stop` is set); `started` is set once HTTP listens.

    Returns 0 after a graceful stop, 130 when a second signal cut it short."""
    stop = stop or asyncio.Event()
    now = asyncio.Event()  # a second signal: exit at once
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        (now if stop.is_set() else stop).set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, on_signal)
    app = await build_app(settings, Metrics(), deliver=True, restore=False)
    declare_metrics(app, started_at=time.time())
    if settings.history.enabled:
        try:
            app.history = build_history(settings, app.pipeline, app.metrics)
        except HistoryError as exc:
            # Alerts matter more than their record: run on without the history.
            log.error("history.unavailable", error=str(exc))
    feeds = {feed.name: new_status(feed) for feed in settings.feeds if feed.enabled}
    runner = web.AppRunner(
        build_http_app(app, feeds),
        access_log=None,
        # A client that has not sent a whole request within this is dropped (slow
        # headers); an unanswered request does not hold the shutdown.
        keepalive_timeout=settings.http.header_timeout_s,
        shutdown_timeout=1.0,
    )
    await runner.setup()
    await web.TCPSite(runner, settings.http.host, settings.http.port).start()
    log.info("service.started", version=__version__, commit=commit(), host=settings.http.host,
             port=settings.http.port, feeds=sorted(feeds))  # fmt: skip
    for name, why in settings.disabled_receivers():
        log.info("receiver.disabled", receiver=name, why=why)
    if started is not None:
        started.set()
    try:
        async with aiohttp.ClientSession() as session:
            lifetime = asyncio.create_task(_live(app, session, feeds, stop))
            cut_short = asyncio.create_task(now.wait())
            overdue = asyncio.create_task(_overdue(stop, settings.run.shutdown_grace_s))
            await asyncio.wait({lifetime, cut_short, overdue}, return_when=asyncio.FIRST_COMPLETED)
            if not lifetime.done():
                # A second signal, or a graceful stop that outran its grace (a bug: every
                # step of it is bounded); what was accepted is in the outbox already.
                log.warning("service.stopping_now" if now.is_set() else "service.stop_overdue")
                lifetime.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await lifetime
            cut_short.cancel()
            overdue.cancel()
    finally:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(EXIT_MARGIN_S):
                await runner.cleanup()
                if not now.is_set():
                    await farewell(app)
        if app.history is not None:
            await asyncio.to_thread(app.history.close, EXIT_MARGIN_S)
        await app.close()
    log.info("service.stopped")
    return 130 if now.is_set() else 0


async def _overdue(stop: asyncio.Event, grace_s: float) -> None:
    """Return once a graceful stop has taken its grace and the exit margin."""
    await stop.wait()
    await asyncio.sleep(grace_s + EXIT_MARGIN_S)


async def _live(
    app: App, session: aiohttp.ClientSession, feeds: dict[str, FeedStatus], stop: asyncio.Event
) -> None:
    settings = app.settings
    buffer = SnapshotBuffer(settings.run.snapshot_buffer, app.metrics)
    worker = build_worker(app, session)
    async with asyncio.TaskGroup() as group:
        # Each feed in its own task (a slow one waits alone), all fused into one stream
        # before the pipeline (service/feeds/fuse.py).
        emit = fused_emit(Fuser(), buffer.put)
        pollers = [
            group.create_task(feed.runner.run(emit)) for feed in build_feeds(app, session, feeds)
        ]
        consumer = group.create_task(_consume(app, buffer, worker, stop))
        deliverer = group.create_task(worker.run())
        beater = group.create_task(beat_forever(app, worker))
        await stop.wait()
        log.info("service.stopping", grace_s=settings.run.shutdown_grace_s)
        for task in [*pollers, deliverer]:
            task.cancel()  # no new poll, no new delivery
        grace = settings.run.shutdown_grace_s
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        # What was received is processed and what is in flight may finish, within grace.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(grace):
                await buffer.join()
        if len(buffer):
            log.warning("service.unprocessed", snapshots=len(buffer))
        consumer.cancel()
        beater.cancel()
        notify = app.pipeline.notify
        if notify.pending:  # the store was down: one more try, within the grace
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.0, deadline - loop.time())):
                    await record_notifications(app, await notify.flush())
            if notify.pending:
                log.error("service.notifications_lost", waiting_for_store=len(notify.pending))
        await worker.close(grace_s=max(0.0, deadline - loop.time()))


async def _consume(
    app: App, buffer: SnapshotBuffer, worker: OutboxWorker, stop: asyncio.Event
) -> None:
    """Restore the saved state (retrying while the store is down) and build the
    lookup indexes meanwhile, then run every buffered snapshot through the pipeline."""
    warming = asyncio.create_task(prepare(app))
    try:
        await restore(app)
        # From now on the feeds wait for the pipeline: snapshots that arrive while the
        # indexes are still being built are held, not dropped (only a store outage at
        # start, which may last, drops them).
        buffer.dropping = False
        await warming
    finally:
        warming.cancel()  # when cancelled during the restore (its thread runs out)
    settle_heap()  # what start-up built is never scanned by the collector again
    cycles = CycleReport(app.metrics)
    while True:
        # Fused in this process, so new to it; only the restored clock of the last run
        # (taken from a faster feed) can be later.
        snapshot = dated_after(await buffer.get(), app.fleet.feed_clock)
        began = time.perf_counter()
        await hand_over(app, await app.pipeline.process(snapshot, source="live"), worker)
        cycles.observe(time.perf_counter() - began)
        buffer.done()


async def prepare(app: App) -> None:
    """Build what the first snapshots would otherwise build inside the poll loop
    (`service.app.warm_up`), in a worker thread: the HTTP endpoints, the feeds and the
    restore go on meanwhile, the pipeline waits for it."""
    warmed = await asyncio.to_thread(warm_up, app)
    log.info("service.warmed_up", countries=warmed.countries, airports=warmed.airports,
             seconds=round(warmed.seconds, 2))  # fmt: skip


async def restore(app: App) -> None:
    """Load the saved state; while the store does not answer, try again with a
    bounded backoff (the feeds keep filling the buffer meanwhile)."""
    wait = RESTORE_RETRY_MIN_S
    while True:
        try:
            await app.pipeline.restore()
        except StoreError as exc:
            log.warning("state.restore_waiting", error=str(exc), retry_in_s=wait)
            await asyncio.sleep(wait)
            wait = min(RESTORE_RETRY_MAX_S, wait * 2)
            continue
        app.restored = True
        if app.history is not None:
            # A crash lost at most the rows not yet written: write again what the
            # store still holds (idempotent).
            points, episodes = await app.history.rederive(
                app.fleet, app.store, app.settings.http.recent_alerts_max
            )
            log.info("history.rederived", points=points, episodes=episodes)
        return
