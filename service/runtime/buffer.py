"""The buffer between the feeds and the pipeline: fused snapshots wait here in order.

Bounded: when the pipeline cannot keep up (waiting for the store at start, say) the
oldest snapshot is dropped, counted in `borderwatch_snapshots_dropped_total`, and the
feeds keep polling: the newest data is what matters, and a feed is never slowed down.
"""

from __future__ import annotations

import asyncio
from collections import deque

import structlog

from service.metrics import Metrics
from service.models import Snapshot

log = structlog.get_logger(__name__)


class SnapshotBuffer:
    """A bounded first-in first-out buffer of snapshots that drops the oldest."""

    def __init__(self, size: int, metrics: Metrics) -> None:
        self._items: deque[Snapshot] = deque()
        self._size = size
        self._metrics = metrics
        self._ready = asyncio.Event()
        self._unfinished = 0  # put and not yet processed (`done`)
        self._finished = asyncio.Event()
        self._finished.set()

    def __len__(self) -> int:
        return len(self._items)

    async def put(self, snapshot: Snapshot) -> None:
        """Add a snapshot; never waits."""
        if len(self._items) >= self._size:
            self._items.popleft()
            self._unfinished -= 1
            self._metrics.snapshots_dropped.inc()
            log.warning("snapshot.dropped", waiting=len(self._items))
        self._items.append(snapshot)
        self._unfinished += 1
        self._finished.clear()
        self._ready.set()

    async def get(self) -> Snapshot:
        """The oldest snapshot, waiting for one."""
        while not self._items:
            self._ready.clear()
            await self._ready.wait()
        return self._items.popleft()

    def done(self) -> None:
        """The snapshot last taken with `get` has been processed."""
        self._unfinished -= 1
        if self._unfinished <= 0:
            self._unfinished = 0
            self._finished.set()

    async def join(self) -> None:
        """Wait until every snapshot put so far has been processed (or dropped)."""
        await self._finished.wait()
