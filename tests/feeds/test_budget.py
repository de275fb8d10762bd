"""A source's daily budget survives restarts: the count lives in the store, per
(source, UTC day), over MemoryStore and RedisStore alike. Time is a fake clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import structlog
from aiohttp import web

from service.feeds.guard import utc_day
from service.feeds.poller import BUDGET_TTL_S, Poller
from service.store import MemoryStore, RedisStore, Store, StoreError
from tests.feeds.support import Collector, aircraft, source, v2
from tests.support.clock import T0, FakeClock
from tests.support.servers import Serve

MIDNIGHT = 86400 - T0 % 86400  # T0 is 13:20 UTC
TODAY, TOMORROW = utc_day(T0), utc_day(T0 + MIDNIGHT)


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest, backend_url: str | None) -> AsyncIterator[Store]:
    opened: Store = (
        MemoryStore() if backend_url is None else RedisStore(backend_url, prefix="bwfeed")
    )
    yield opened
    await opened.close()


class DownStore(MemoryStore):
    """A store whose budget calls fail while `down` (as Redis does while restarting)."""

    def __init__(self) -> None:
        super().__init__()
        self.down = True

    async def spend_budget(self, source: str, day: str, amount: int, *, ttl_s: int) -> int:
        if self.down:
            raise StoreError("redis at redis://x: spend_budget failed: ConnectionError")
        return await super().spend_budget(source, day, amount, ttl_s=ttl_s)

    async def budget_spent(self, source: str, day: str) -> int:
        if self.down:
            raise StoreError("redis at redis://x: budget_spent failed: ConnectionError")
        return await super().budget_spent(source, day)


async def counting_feed(serve: Serve, seen: list[float]) -> dict[str, Any]:
    async def mil(_: web.Request) -> web.Response:
        seen.append(T0)
        return web.json_response(v2(T0 + len(seen), aircraft("ae0001", 20.0)))

    base = await serve({"GET /v2/mil": mil})
    return {"name": "x", "kind": "adsbx", "base_url": base, "mil": True, "daily_budget": 3}


def poller(
    feed: dict[str, Any], session: aiohttp.ClientSession, clock: FakeClock, store: Store
) -> Poller:
    runner = source(feed, session, clock, store=store).runner
    assert isinstance(runner, Poller)
    return runner


async def test_a_restarted_source_continues_the_day_and_a_new_day_resets(
    serve: Serve, store: Store
) -> None:
    seen: list[float] = []
    feed = await counting_feed(serve, seen)
    clock, collect = FakeClock(T0), Collector()
    async with aiohttp.ClientSession() as session:
        first = poller(feed, session, clock, store)
        await first.cycle(collect)
        await first.cycle(collect)
        assert len(seen) == 2 and await store.budget_spent("x", TODAY) == 2
        # The "restart": a new poller on the same store continues today's count...
        second = poller(feed, session, clock, store)
        assert await second.cycle(collect) == MIDNIGHT  # the last request of the day
        assert await second.cycle(collect) == MIDNIGHT  # spent: nothing until midnight
        assert len(seen) == 3 and await store.budget_spent("x", TODAY) == 3
        assert second.hooks.status.budget_remaining == 0
        # ...as does one more restart, which sends nothing at all today.
        third = poller(feed, session, clock, store)
        assert await third.cycle(collect) == MIDNIGHT and len(seen) == 3
        # A new UTC day starts from the full budget, for the running and a new poller.
        clock.now += MIDNIGHT
        await third.cycle(collect)
        assert len(seen) == 4 and await store.budget_spent("x", TOMORROW) == 1
        fourth = poller(feed, session, clock, store)
        await fourth.cycle(collect)
        assert len(seen) == 5 and await store.budget_spent("x", TOMORROW) == 2
        assert await store.budget_spent("x", TODAY) == 3  # each day counted apart
        # Another source's budget is its own.
        assert await store.budget_spent("y", TOMORROW) == 0


async def test_budget_key_layout_and_expiry(redis_url: str) -> None:
    store = RedisStore(redis_url, prefix="bwfeed")
    try:
        assert await store.spend_budget("x", TODAY, 3, ttl_s=BUDGET_TTL_S) == 3
        assert await store.spend_budget("x", TODAY, 4, ttl_s=BUDGET_TTL_S) == 7
        key = store.keys.budget("x", TODAY)
        assert key == f"bwfeed:budget:x:{TODAY}"
        client = store._client
        assert await client.get(key) == b"7"
        assert 86400 < await client.ttl(key) <= BUDGET_TTL_S  # outlives its day, then goes
    finally:
        await store.close()


async def test_a_failing_store_never_stops_polling(serve: Serve) -> None:
    seen: list[float] = []
    feed = {**await counting_feed(serve, seen), "daily_budget": 5}
    clock, collect, store = FakeClock(T0), Collector(), DownStore()
    async with aiohttp.ClientSession() as session:
        running = poller(feed, session, clock, store)
        with structlog.testing.capture_logs() as logs:
            await running.cycle(collect)
            await running.cycle(collect)
        assert len(seen) == 2  # polled on its own count
        failed = [e for e in logs if e["event"] == "feed.budget_store_failed"]
        assert len(failed) == 2  # once per cycle, not once per call
        assert running.hooks.status.budget_remaining == 3
        store.down = False
        await running.cycle(collect)  # the store is back: the missed spends go in too
        assert len(seen) == 3 and await store.budget_spent("x", TODAY) == 3
        assert running.hooks.status.budget_remaining == 2
