"""Helpers of the feed tests: a fake clock driven by the test, local servers, the
fused stream as the pipeline would see it. (No tests here.)"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from pydantic import TypeAdapter

from service.feeds.fuse import Fuser
from service.feeds.sources import Source, build_source
from service.metrics import Metrics
from service.models import Snapshot
from service.settings.feeds import FeedSettings
from service.store.base import Store

T0 = 1_755_081_600.0
FEED = TypeAdapter(FeedSettings)


class FakeClock:
    """Time stands still until the test advances it; sleepers wake at their deadline."""

    def __init__(self, now: float = T0) -> None:
        self.now = now
        self.sleepers: list[tuple[float, asyncio.Future[None]]] = []
        self.changed = asyncio.Event()
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (self.now + seconds, future)
        self.sleepers.append(entry)
        self.changed.set()
        try:
            await future
        finally:
            self.sleepers.remove(entry)

    async def idle(self, tasks: int) -> None:
        """Wait until `tasks` loops are all asleep on this clock."""
        while len(self.sleepers) < tasks:
            self.changed.clear()
            await self.changed.wait()

    async def run_until(self, until: float, tasks: int) -> None:
        """Advance time to `until`, waking each sleeper at its deadline in order."""
        while True:
            await self.idle(tasks)
            deadline = min(d for d, _ in self.sleepers)
            if deadline > until:
                self.now = until
                return
            self.now = max(self.now, deadline)
            for d, future in list(self.sleepers):
                if d <= self.now and not future.done():
                    future.set_result(None)
            await asyncio.sleep(0)  # let the woken tasks leave the sleeper list


class InstantClock(FakeClock):
    """Every sleep returns at once (advancing time): for loops that must not wait."""

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        self.changed.set()
        await asyncio.sleep(0)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[dict[str, Handler]], Awaitable[str]]]:
    runners: list[web.AppRunner] = []

    async def start(routes: dict[str, Handler]) -> str:
        app = web.Application()
        for path, handler in routes.items():
            method, _, route = path.partition(" ")
            app.router.add_route(method, route, handler)
        runner = web.AppRunner(app, shutdown_timeout=0.1)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        runners.append(runner)
        return f"http://127.0.0.1:{runner.addresses[0][1]}"

    yield start
    for runner in runners:
        await runner.cleanup()


def aircraft(hex_: str, lat: float, seen_pos: float = 0.0, **extra: Any) -> dict[str, Any]:
    return {
        "hex": hex_,
        "lat": lat,
        "lon": -100.0,
        "alt_baro": 20000,
        "gs": 200.0,
        "track": 90.0,
        "seen_pos": seen_pos,
        "type": "adsb_icao",
        **extra,
    }


def v2(now: float, *records: object, key: str = "ac") -> dict[str, Any]:
    """A readsb-style v2 response; records are raw JSON (tests pass junk on purpose)."""
    return {
        key: list(records),
        "msg": "No error",
        "now": now * 1000,
        "total": len(records),
        "ctime": 0,
        "ptime": 1,
    }


def source(
    config: dict[str, Any],
    session: aiohttp.ClientSession,
    clock: FakeClock,
    metrics: Metrics | None = None,
    store: Store | None = None,
) -> Source:
    gap = {} if config["kind"] == "sbs" else {"request_gap_s": 0}
    feed = FEED.validate_python({**gap, **config})
    return build_source(feed, session, metrics, clock=clock, rng=random.Random(7), store=store)


class Collector:
    """The fused stream, as the pipeline would receive it."""

    def __init__(self) -> None:
        self.fuser = Fuser()
        self.snapshots: list[Snapshot] = []
        self.arrived = asyncio.Event()

    async def __call__(self, snapshot: Snapshot) -> None:
        fused = self.fuser.fuse(snapshot)
        if fused is not None:
            self.snapshots.append(fused)
            self.arrived.set()

    def sources_by_hex(self) -> dict[str, str]:
        return {p.hex: p.source for s in self.snapshots for p in s.positions}


def sample(metrics: Metrics, name: str, **labels: str) -> float:
    value = metrics.registry.get_sample_value(name, labels)
    return 0.0 if value is None else value
