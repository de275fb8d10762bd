"""Helpers shared by the delivery-worker tests (tests/deliver/test_outbox.py,
test_webhook.py, test_apprise.py): outbox entries, one worker pass, a worker rig."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import msgspec

from service.deliver.outbox import OutboxWorker
from service.metrics import Metrics
from service.store import MemoryStore, Store
from service.store.records import OutboxItem
from tests.support.clock import FakeClock

T0 = 1_900_000_000.0  # whole seconds: HTTP-dates and timestamp headers round to them


def item(episode: str, sequence: int, kind: str = "update", **changes: Any) -> OutboxItem:
    """An outbox entry for receiver "hook" (override any field with `changes`)."""
    id_ = f"{episode}-{sequence}"
    payload = {"id": id_, "fingerprint": episode, "sequence": sequence, "kind": kind}
    base = OutboxItem(
        receiver="hook",
        id=id_,
        fingerprint=episode,
        sequence=sequence,
        kind=kind,
        rule="loiter",
        hex="ae2fd0",
        country="MX",
        payload=msgspec.Raw(json.dumps(payload).encode()),
        at=T0 + 60 * sequence,
        enqueued_at=T0,
    )
    return msgspec.structs.replace(base, **changes)


async def enqueue(store: Store, *items: OutboxItem) -> None:
    """Claim and queue `items` as the pipeline does."""
    for entry in items:
        assert await store.claim_notification(entry.id, ttl_s=60, outbox=[entry])


async def settle(worker: OutboxWorker) -> None:
    """One pass, then wait for every send it started."""
    await worker.step()
    while worker.tasks:
        await asyncio.gather(*list(worker.tasks))


@dataclass
class Rig:
    """Notifications queued for one receiver, the worker that delivers them on a fake
    clock, and what it records."""

    store: MemoryStore
    clock: FakeClock
    metrics: Metrics
    worker: OutboxWorker

    async def pass_(self) -> None:
        await settle(self.worker)

    async def pending(self) -> OutboxItem:
        (entry,) = await self.store.outbox_pending()
        return entry

    async def next_attempt(self) -> float:
        """Move the clock to the pending entry's next attempt, run a pass; the delay."""
        delay = (await self.pending()).next_at - self.clock.now
        self.clock.now += delay
        await self.pass_()
        return delay
