"""The buffer between the feeds and the pipeline: fused snapshots wait here in order.

Bounded. While the pipeline runs, a full buffer makes the feeds wait for it (nothing
is lost; a feed faster than the pipeline is slowed to its pace). While the pipeline
cannot run yet (its saved state waits for the store at start) the feeds keep polling:
the oldest snapshot is dropped instead, counted in `borderwatch_snapshots_dropped_total`
(the newest data is what matters once the pipeline starts).
"""

from __future__ import annotations

import asyncio

import structlog

from service.metrics import Metrics
from service.models import Snapshot

log = structlog.get_logger(__name__)


class SnapshotBuffer:
    """A bounded first-in first-out queue of snapshots that can drop the oldest."""

    def __init__(self, size: int, metrics: Metrics) -> None:
        self._queue: asyncio.Queue[Snapshot] = asyncio.Queue(maxsize=size)
        self._metrics = metrics
        # Drop the oldest when full (True until the pipeline runs), else wait for room.
        self.dropping = True

    def __len__(self) -> int:
        return self._queue.qsize()

    async def put(self, snapshot: Snapshot) -> None:
        """Add a snapshot; when full, wait for room, or drop the oldest (`dropping`)."""
        if self.dropping and self._queue.full():
            self._queue.get_nowait()
            self._queue.task_done()
            self._metrics.snapshots_dropped.inc()
            log.warning("snapshot.dropped", waiting=self._queue.qsize())
        await self._queue.put(snapshot)

    async def get(self) -> Snapshot:
        """The oldest snapshot, waiting for one."""
        return await self._queue.get()

    def done(self) -> None:
        """The snapshot last taken with `get` has been processed."""
        self._queue.task_done()

    async def join(self) -> None:
        """Wait until every snapshot put so far has been processed (or dropped)."""
        await self._queue.join()
