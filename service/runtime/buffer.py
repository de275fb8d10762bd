"""The buffer between the feeds and the pipeline: fused snapshots wait here in order.

Bounded. While the pipeline runs, a full buffer makes the feeds wait for it (nothing
is lost; a feed faster than the pipeline is slowed to its pace). While the pipeline
cannot run yet (its saved state waits for the store at start) the feeds keep polling:
the oldest snapshot is dropped instead, counted in `borderwatch_snapshots_dropped_total`
(the newest data is what matters once the pipeline starts).
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
        self._room = asyncio.Event()
        self._room.set()
        # Drop the oldest when full (True until the pipeline runs), else wait for room.
        self.dropping = True
        self._finished = asyncio.Event()
        self._finished.set()

    def __len__(self) -> int:
        return len(self._items)

    async def put(self, snapshot: Snapshot) -> None:
        """Add a snapshot; when full, wait for room, or drop the oldest (`dropping`)."""
        while len(self._items) >= self._size and not self.dropping:
            self._room.clear()
            await self._room.wait()
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
        self._room.set()
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
