"""The running feeds: one loop per enabled `feeds` entry, and their common emit."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import aiohttp

from service.clock import Clock
from service.feeds.adsbx import AdsbxAdapter, ReadsbAdapter
from service.feeds.fuse import Fuser
from service.feeds.guard import HostSpacing
from service.feeds.opensky import OpenSkyAdapter
from service.feeds.poller import Emit, HttpAdapter, Poller
from service.feeds.sbs_client import SbsStream
from service.feeds.status import FeedHooks, FeedStatus
from service.metrics import Metrics
from service.models import Snapshot
from service.settings.feeds import AdsbxFeed, FeedSettings, OpenSkyFeed, ReadsbFeed, SbsFeed
from service.store.base import Store

__all__ = ["Runnable", "RunningFeed", "build_feed", "build_feeds", "fused_emit", "new_status"]


class Runnable(Protocol):
    """A feed's loop: polls or streams until cancelled, emitting snapshots."""

    async def run(self, emit: Emit) -> None: ...


@dataclass(slots=True)
class RunningFeed:
    """One configured feed: its settings, live status and loop."""

    feed: FeedSettings
    status: FeedStatus
    runner: Runnable


def build_feed(
    feed: FeedSettings,
    session: aiohttp.ClientSession,
    metrics: Metrics | None,
    *,
    watch: Iterable[str] = (),
    clock: Clock | None = None,
    rng: random.Random | None = None,
    status: FeedStatus | None = None,
    spacing: HostSpacing | None = None,
    store: Store | None = None,
) -> RunningFeed:
    """The running feed of one `feeds` entry (`watch`: identify.watch addresses; `store` keeps
    the daily budget's count across restarts)."""
    status = status or new_status(feed)
    hooks = FeedHooks(status, metrics)
    if isinstance(feed, SbsFeed):
        return RunningFeed(feed, status, SbsStream(feed, hooks, clock=clock, rng=rng))
    adapter: HttpAdapter
    budget = feed.daily_budget
    if isinstance(feed, AdsbxFeed):
        adapter = AdsbxAdapter(feed, watch)
    elif isinstance(feed, ReadsbFeed):
        adapter = ReadsbAdapter(feed)
    else:
        assert isinstance(feed, OpenSkyFeed)
        adapter = OpenSkyAdapter(feed, clock)
        budget = feed.credits_per_day()
    poller = Poller(
        feed,
        adapter,
        session,
        hooks,
        budget=budget,
        clock=clock,
        rng=rng,
        spacing=spacing,
        store=store,
    )
    return RunningFeed(feed, status, poller)


def new_status(feed: FeedSettings) -> FeedStatus:
    """A fresh status for one feed (what /readyz reads)."""
    return FeedStatus(name=feed.name, kind=feed.kind, interval_s=feed.interval_s)


def build_feeds(
    feeds: Iterable[FeedSettings],
    session: aiohttp.ClientSession,
    metrics: Metrics | None,
    *,
    watch: Iterable[str] = (),
    statuses: dict[str, FeedStatus] | None = None,
    store: Store | None = None,
) -> list[RunningFeed]:
    """Every enabled feed; `statuses` (by feed name) are used when given. Feeds
    share one HostSpacing: two entries on one provider keep to its 1 request/s; and
    `store`, which counts their daily budgets across restarts."""
    watch, statuses, spacing = list(watch), statuses or {}, HostSpacing()
    return [
        build_feed(
            f,
            session,
            metrics,
            watch=watch,
            status=statuses.get(f.name),
            spacing=spacing,
            store=store,
        )
        for f in feeds
        if f.enabled
    ]


def fused_emit(fuser: Fuser, put: Emit) -> Emit:
    """An emit for every feed: fuse, then `put` what is new for the pipeline.

    Fusion runs synchronously on the event loop, so the snapshots of concurrent
    feeds are filtered one at a time against the same newest-per-address table.
    """

    async def emit(snapshot: Snapshot) -> None:
        fused = fuser.fuse(snapshot)
        if fused is not None:
            await put(fused)

    return emit
