"""Stream SBS lines from a receiver over TCP; reconnect with bounded backoff.

Every `interval_s` the positions assembled so far are handed on as one snapshot. A
connection that stays silent for `idle_timeout_s` (readsb sends an empty heartbeat
line) is treated as dead. Requests by outcome count connection attempts (`ok`,
`connection`, `timeout`) and how a connection that was up ended (`closed`: the
receiver hung up; `timeout`: silent too long; `connection`: reset).
"""

from __future__ import annotations

import asyncio
import contextlib
import random

import structlog

from service.clock import SYSTEM_CLOCK, Clock
from service.feeds.guard import Backoff, CircuitBreaker
from service.feeds.poller import Emit
from service.feeds.sbs import SbsAssembler
from service.feeds.status import FeedHooks
from service.settings.feeds import SbsFeed

__all__ = ["SbsStream"]

log = structlog.get_logger(__name__)


class SbsStream:
    """One SBS receiver connection, kept up until cancelled."""

    def __init__(
        self,
        feed: SbsFeed,
        hooks: FeedHooks,
        *,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.feed = feed
        self.hooks = hooks
        self.clock = clock or SYSTEM_CLOCK
        # Start reconnecting after 1 s: the receiver is local, a restart is quick.
        self.backoff = Backoff(1.0, feed.max_backoff_s, rng or random.Random())
        self.breaker = CircuitBreaker(feed.breaker_failures, feed.breaker_probe_s)
        self.assembler = SbsAssembler(feed.name, feed.max_aircraft)
        self.connections = 0
        self._last_flush = 0.0
        hooks.circuit(False)
        hooks.waiting(0.0, None)
        hooks.budget(None)

    async def run(self, emit: Emit) -> None:
        """Connect, stream, and reconnect until cancelled."""
        while True:
            reason = await self._session(emit)
            now = self.clock.time()
            self.breaker.record_failure(now)
            self.hooks.circuit(self.breaker.is_open)
            wait = max(self.backoff.next_wait(), self.breaker.wait_before_request(now))
            self.hooks.waiting(wait, reason)
            await self.clock.sleep(wait)

    async def _session(self, emit: Emit) -> str:
        """One connection; returns why it ended."""
        feed = self.feed
        began = self.clock.monotonic()
        try:
            async with asyncio.timeout(feed.timeout_s):
                # limit: a line longer than this is dropped by readline, never buffered.
                reader, writer = await asyncio.open_connection(
                    feed.host, feed.port, limit=feed.max_line_bytes
                )
        except TimeoutError:
            self.hooks.request("timeout", self.clock.monotonic() - began, self.clock.time())
            return "timeout"
        except OSError:
            self.hooks.request("connection", self.clock.monotonic() - began, self.clock.time())
            return "connection"
        self.connections += 1
        self.hooks.request("ok", self.clock.monotonic() - began, self.clock.time())
        log.info("feed.connected", source=feed.name, host=feed.host, port=feed.port)
        try:
            reason = await self._stream(reader, emit)
            self.hooks.ended(reason, self.clock.time())
            return reason
        finally:
            writer.close()
            await _closed(writer)

    async def _stream(self, reader: asyncio.StreamReader, emit: Emit) -> str:
        idle = 0.0
        while True:
            try:
                # asyncio.timeout, not wait_for: on 3.11 wait_for can lose a cancellation.
                async with asyncio.timeout(self.feed.interval_s):
                    line = await reader.readline()
            except TimeoutError:
                await self._flush(emit)
                idle += self.feed.interval_s
                if idle >= self.feed.idle_timeout_s:
                    return "timeout"
                continue
            except ValueError:  # longer than the limit; readline already discarded it
                self.assembler.reject("line_too_long")
                continue
            except OSError:
                await self._flush(emit)
                return "connection"
            if not line:
                await self._flush(emit)
                return "closed"
            idle = 0.0
            if self.backoff.failures or self.breaker.is_open:
                self.backoff.reset()
                self.breaker.record_success()
                self.hooks.circuit(False)
                self.hooks.waiting(0.0, None)
            self.assembler.feed(line.decode("ascii", "replace"), self.clock.time())
            if self.clock.monotonic() - self._last_flush >= self.feed.interval_s:
                await self._flush(emit)

    async def _flush(self, emit: Emit) -> None:
        self._last_flush = self.clock.monotonic()
        snapshot = self.assembler.drain()
        if not snapshot.positions and not snapshot.rejected:
            return
        self.hooks.positions(len(snapshot.positions), snapshot.now)
        self.hooks.rejected(snapshot.rejected)
        if snapshot.positions:
            # A stream has no polls: fresh data is what counts as success for /readyz.
            self.hooks.status.last_success = self.clock.time()
            if self.hooks.metrics is not None:
                self.hooks.metrics.feed_last_success.labels(self.feed.name).set(
                    self.hooks.status.last_success
                )
        await emit(snapshot)


async def _closed(writer: asyncio.StreamWriter) -> None:
    # The peer may already be gone; closing is best effort.
    with contextlib.suppress(OSError):
        await writer.wait_closed()
