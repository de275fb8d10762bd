"""`borderwatch replay`: a recording through the whole pipeline on its own clock."""

from __future__ import annotations

import time
from typing import TextIO

import aiohttp

from service.app import build_app
from service.config import Settings
from service.deliver.dispatch import Dispatcher, targets_from
from service.feeds.replay import iter_snapshots
from service.pipeline import Stats


async def replay(settings: Settings, path: str, *, deliver: bool, out: TextIO) -> str:
    """Replay `path`; print (or deliver) each notification; return the summary line."""
    started = time.monotonic()
    app = await build_app(settings)
    pipeline = app.pipeline
    session: aiohttp.ClientSession | None = None
    dispatcher: Dispatcher | None = None
    if deliver:
        session = aiohttp.ClientSession()
        dispatcher = Dispatcher(session, targets_from(settings.receivers), app.metrics)
    try:
        for item in iter_snapshots(path):
            if item.snapshot is None:
                pipeline.reject(item.error or "malformed_line")
                continue
            for notification in await pipeline.process(item.snapshot):
                if dispatcher is not None:
                    await dispatcher.send(notification)
                else:
                    out.write(notification.body().decode() + "\n")
                    out.flush()
    finally:
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
