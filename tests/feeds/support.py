"""Helpers of the feed tests: feed records and responses, a running feed on the fake
clock, the fused stream as the pipeline would see it. (No tests here.)"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import aiohttp
from pydantic import TypeAdapter

from service.feeds.fuse import Fuser
from service.feeds.running import RunningFeed, build_feed
from service.metrics import Metrics
from service.models import Snapshot
from service.settings.feeds import FeedSettings
from service.store.base import Store
from tests.support.clock import FakeClock

FEED = TypeAdapter(FeedSettings)


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
) -> RunningFeed:
    gap = {} if config["kind"] == "sbs" else {"request_gap_s": 0}
    feed = FEED.validate_python({**gap, **config})
    return build_feed(feed, session, metrics, clock=clock, rng=random.Random(7), store=store)


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
