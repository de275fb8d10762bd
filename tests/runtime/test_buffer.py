"""The buffer in front of the pipeline: drops the oldest until the pipeline runs, then
makes the feeds wait; `join` waits for every snapshot to be processed."""

from __future__ import annotations

import asyncio

from service.metrics import Metrics
from service.models import Snapshot
from service.runtime.buffer import SnapshotBuffer


async def test_before_the_pipeline_runs_the_oldest_snapshots_are_dropped() -> None:
    metrics = Metrics()
    buffer = SnapshotBuffer(2, metrics)
    for now in (1.0, 2.0, 3.0):
        await buffer.put(Snapshot(now, []))
    assert len(buffer) == 2 and metrics.snapshots_dropped._value.get() == 1
    assert [(await buffer.get()).now for _ in range(2)] == [2.0, 3.0]


async def test_once_it_runs_a_full_buffer_makes_the_feed_wait_and_join_waits_for_done() -> None:
    buffer = SnapshotBuffer(1, Metrics())
    buffer.dropping = False
    await buffer.put(Snapshot(1.0, []))
    waiting = asyncio.create_task(buffer.put(Snapshot(2.0, [])))
    await asyncio.sleep(0)  # let it run up to the wait
    assert not waiting.done() and len(buffer) == 1
    joined = asyncio.create_task(buffer.join())
    assert (await buffer.get()).now == 1.0
    await waiting  # room again
    buffer.done()
    assert (await buffer.get()).now == 2.0
    await asyncio.sleep(0)
    assert not joined.done()  # the second is taken, not processed yet
    buffer.done()
    await asyncio.wait_for(joined, timeout=5)
