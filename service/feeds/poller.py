"""Poll one HTTP (or file) feed forever: its budget, backoff and circuit breaker.

Each feed runs in its own task with its own `Poller`, so a slow or failing feed
only ever waits on itself. A cycle sends the adapter's planned requests one after the
other (`request_gap_s` apart, the providers' 1 request/s) and hands each decoded
snapshot on at once. Any failure ends the cycle and schedules the next attempt:
  - the exponential backoff with jitter (from `interval_s` up to `max_backoff_s`),
  - at least the server's Retry-After (429/503; capped at a day),
  - while the circuit breaker is open, until its next probe,
  - with the daily budget spent, until the UTC day ends.
A successful cycle waits `interval_s`, or longer when the daily budget left would not
last the day at that pace (budget pacing; OpenSky's anonymous 400 credits, say).

With a store, a limited budget survives restarts: each cycle first loads the day's
count once per UTC day, and every spend is added to the store's per-(feed, day)
counter. A store failure never stops polling: the feed logs it (once per cycle) and
goes on with its own count, adding the unrecorded spends once the store answers.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

import aiohttp
import structlog

from service.clock import SYSTEM_CLOCK, Clock
from service.feeds.guard import (
    Backoff,
    CircuitBreaker,
    DailyBudget,
    HostSpacing,
    time_problem,
    utc_day,
)
from service.feeds.http import FetchError, HttpResponse, fetch
from service.feeds.readsb import FeedDecodeError
from service.feeds.status import FeedHooks
from service.models import Snapshot
from service.settings.feeds import AdsbxFeed, OpenSkyFeed, ReadsbFeed
from service.settings.fields import is_local
from service.store.base import Store, StoreError

__all__ = ["Emit", "FeedRequest", "HttpAdapter", "Poller"]

log = structlog.get_logger(__name__)

Emit = Callable[[Snapshot], Awaitable[None]]
PolledFeed = AdsbxFeed | ReadsbFeed | OpenSkyFeed
# A hostile or confused Retry-After must not silence a feed for longer than this.
MAX_RETRY_AFTER_S = 86400.0
# The store's count of a day outlives the day (a late restart still finds it), then goes.
BUDGET_TTL_S = 2 * 86400


@dataclass(slots=True, frozen=True)
class FeedRequest:
    """One request of a cycle; `cost` is what it takes from the daily budget."""

    url: str
    cost: float = 1.0


class HttpAdapter(Protocol):
    """What a feed kind adds to the generic poller: which requests, how to decode."""

    def plan(self) -> list[FeedRequest]:
        """The requests of one cycle."""
        ...

    async def get(self, session: aiohttp.ClientSession, request: FeedRequest) -> HttpResponse:
        """Perform one request (through `service.feeds.http.fetch`)."""
        ...

    def decode(self, response: HttpResponse, request: FeedRequest) -> Snapshot:
        """Decode a response; raise FeedDecodeError when it is unusable as a whole."""
        ...

    def remaining_reported(self, response: HttpResponse) -> float | None:
        """The budget left as the provider reports it, when it does."""
        ...


class Poller:
    """Run the cycles of one polled feed; see the module docstring."""

    def __init__(
        self,
        feed: PolledFeed,
        adapter: HttpAdapter,
        session: aiohttp.ClientSession,
        hooks: FeedHooks,
        *,
        budget: int | None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        spacing: HostSpacing | None = None,
        store: Store | None = None,
    ) -> None:
        self.feed = feed
        self.spacing = spacing
        self.adapter = adapter
        self.session = session
        self.hooks = hooks
        self.clock = clock or SYSTEM_CLOCK
        self.backoff = Backoff(feed.interval_s, feed.max_backoff_s, rng or random.Random())
        self.breaker = CircuitBreaker(feed.breaker_failures, feed.breaker_probe_s)
        self.budget = DailyBudget(budget)
        # An unlimited budget needs no count: nothing is written for it.
        self.store = store if budget is not None else None
        self._loaded_day: str | None = None  # the day whose store count was loaded
        self._unrecorded: tuple[str, int] = ("", 0)  # (day, spends the store missed)
        self._store_warned = False  # logged a store failure this cycle
        hooks.budget(self.budget.remaining(self.clock.time()))
        hooks.circuit(False)
        hooks.waiting(0.0, None)

    async def run(self, emit: Emit) -> None:
        """Poll until cancelled."""
        while True:
            await self.clock.sleep(await self.cycle(emit))

    async def cycle(self, emit: Emit) -> float:
        """One cycle; return how long to wait before the next one."""
        started = self.clock.monotonic()
        self._store_warned = False
        await self._load_budget()
        plan = self.adapter.plan()
        for index, request in enumerate(plan):
            if index:
                await self.clock.sleep(self.feed.request_gap_s)
            now = self.clock.time()
            probe_in = self.breaker.wait_before_request(now)
            if probe_in > 0:
                self.hooks.waiting(probe_in, "circuit_open")
                return probe_in
            if not self.budget.try_spend(request.cost, now):
                wait = DailyBudget.seconds_to_reset(now)
                self.hooks.waiting(wait, "budget_exhausted")
                return wait
            await self._record_spend(request.cost, now)
            self.hooks.budget(self.budget.remaining(now))
            retry_in = await self._request(request, emit)
            if retry_in is not None:
                return retry_in
        self.hooks.waiting(0.0, None)
        pace = self.budget.pace_s(sum(r.cost for r in plan), self.clock.time())
        elapsed = self.clock.monotonic() - started
        return max(0.0, max(pace, self.feed.interval_s) - elapsed)

    async def _load_budget(self) -> None:
        """Once per UTC day (and again after a failure): what the store says was spent."""
        if self.store is None:
            return
        now = self.clock.time()
        day = utc_day(now)
        if day == self._loaded_day:
            return
        try:
            spent = await self.store.budget_spent(self.feed.name, day)
        except StoreError as exc:
            self._store_failed("load", exc)
            return
        self._loaded_day = day
        self.budget.sync(spent, now)
        self.hooks.budget(self.budget.remaining(now))
        if spent:
            log.info("feed.budget_loaded", source=self.feed.name, day=day, spent=spent)

    async def _record_spend(self, cost: float, now: float) -> None:
        """Add a spend to the store's count of the day (with any it missed before)."""
        if self.store is None:
            return
        day = utc_day(now)
        missed = self._unrecorded[1] if self._unrecorded[0] == day else 0
        amount = DailyBudget.whole(cost)
        if self._store_warned:  # failed this cycle: one store timeout per cycle at most
            self._unrecorded = (day, missed + amount)
            return
        try:
            total = await self.store.spend_budget(
                self.feed.name, day, amount + missed, ttl_s=BUDGET_TTL_S
            )
        except StoreError as exc:
            self._unrecorded = (day, missed + amount)
            self._store_failed("spend", exc)
            return
        self._unrecorded = ("", 0)
        self.budget.sync(total, now)

    def _store_failed(self, op: str, exc: StoreError) -> None:
        if not self._store_warned:
            self._store_warned = True
            log.warning("feed.budget_store_failed", source=self.feed.name, op=op, error=str(exc))

    async def _request(self, request: FeedRequest, emit: Emit) -> float | None:
        """Send and decode one request; the wait before retrying when it failed."""
        host = urlsplit(request.url).hostname or ""
        if self.spacing is not None and host and not is_local(host):
            await self.spacing.wait_turn(host)
        began = self.clock.monotonic()
        try:
            response = await self.adapter.get(self.session, request)
            reported = self.adapter.remaining_reported(response)
            if reported is not None:
                self.budget.report(reported, self.clock.time())
                self.hooks.budget(self.budget.remaining(self.clock.time()))
            snapshot = self.adapter.decode(response, request)
        except FetchError as exc:
            return self._failed(exc.reason, exc.retry_after, began, str(exc))
        except FeedDecodeError as exc:
            return self._failed(exc.reason, None, began, str(exc)[:200])
        problem = time_problem(
            snapshot.now, self.clock.time(), self.feed.max_skew_s, self.feed.max_age_s
        )
        if problem is not None:
            detail = f"dated {snapshot.now:.0f}, clock {self.clock.time():.0f}"
            return self._failed(problem, None, began, detail)
        seconds = self.clock.monotonic() - began
        self.hooks.request("ok", seconds, self.clock.time())
        # One canonical line per request, with --verbose: the poll health at a glance.
        # (Failures are logged at any level; successes are in the metrics.)
        log.debug(
            "poll.completed",
            source=self.feed.name,
            positions=len(snapshot.positions),
            rejected=sum(snapshot.rejected.values()),
            seconds=round(seconds, 3),
        )
        self.backoff.reset()
        self.breaker.record_success()
        self.hooks.circuit(False)
        self.hooks.positions(len(snapshot.positions), snapshot.now)
        self.hooks.rejected(snapshot.rejected)
        await emit(snapshot)
        return None

    def _failed(
        self, reason: str, retry_after: float | None, began: float, detail: str = ""
    ) -> float:
        now = self.clock.time()
        self.hooks.request(reason, self.clock.monotonic() - began, now)
        self.breaker.record_failure(now)
        self.hooks.circuit(self.breaker.is_open)
        wait = self.backoff.next_wait()
        if retry_after is not None:
            wait = max(wait, min(retry_after, MAX_RETRY_AFTER_S))
        wait = max(wait, self.breaker.wait_before_request(now))
        self.hooks.waiting(wait, reason, detail)
        return wait


async def default_get(
    session: aiohttp.ClientSession,
    feed: PolledFeed,
    request: FeedRequest,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    """A plain GET through the choke point with the feed's bounds."""
    return await fetch(
        session, request.url, timeout_s=feed.timeout_s, max_bytes=feed.max_bytes, headers=headers
    )
