"""The delivery worker over both stores, against local aiohttp receivers: outages,
Retry-After, refusals and dead letters, per-episode order, the concurrency limit,
silences and acknowledgements. Time is a fake clock; nothing sleeps."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from pydantic import SecretStr

from service.deliver import outbox as outbox_module
from service.deliver.outbox import OutboxWorker
from service.deliver.signing import verify
from service.metrics import Metrics
from service.settings.receivers import WebhookReceiver
from service.store import MemoryStore, RedisStore, Store, StoreError
from service.store.records import OutboxItem, Silence
from tests.support.clock import FakeClock
from tests.support.outbox import T0, enqueue, item, settle
from tests.support.servers import Serve

SECRET = "whsec-outbox"


@dataclass
class Hook:
    """A receiver: `script` decides each answer from the request number (0-based)."""

    script: Callable[[int], Awaitable[web.Response]]
    port: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)  # ids answered 2xx, in order
    in_flight: int = 0
    most_in_flight: int = 0
    got: asyncio.Event = field(default_factory=asyncio.Event)  # set on each 2xx

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = request.headers
        assert verify(
            SECRET.encode(),
            headers.get("X-Borderwatch-Timestamp"),
            headers.get("X-Borderwatch-Signature"),
            body,
            now=float(headers["X-Borderwatch-Timestamp"]),
        )
        number = len(self.requests)
        self.requests.append(json.loads(body))
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            response = await self.script(number)
        finally:
            self.in_flight -= 1
        if 200 <= response.status < 300:
            self.accepted.append(headers["X-Borderwatch-Id"])
            self.got.set()
        return response


async def ok(_: int) -> web.Response:
    return web.Response(status=204)


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest, backend_url: str | None) -> AsyncIterator[Store]:
    if backend_url is None:
        opened: Store = MemoryStore()
    else:
        opened = RedisStore(backend_url, prefix="bwoutbox")
    yield opened
    await opened.close()


@pytest.fixture
def hook_url(serve: Serve) -> Callable[[Hook], Awaitable[str]]:
    """`await hook_url(hook)`: a local receiver answering with `hook`; its URL."""

    async def start(hook: Hook) -> str:
        return f"{await serve({'POST /hook': hook.handle})}/hook"

    return start


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


def receiver(url: str, **settings: Any) -> WebhookReceiver:
    return WebhookReceiver(name="hook", url=SecretStr(url), secret=SecretStr(SECRET), **settings)


def by_episode(ids: list[str]) -> dict[str, list[int]]:
    order: dict[str, list[int]] = {}
    for id_ in ids:
        episode, _, sequence = id_.rpartition("-")
        order.setdefault(episode, []).append(int(sequence))
    return order


async def test_receiver_down_then_up_gets_everything_in_order_once(
    store: Store, hook_url: Callable[[Hook], Awaitable[str]], session: aiohttp.ClientSession
) -> None:
    async def down_for_a_while(number: int) -> web.Response:
        return web.Response(status=503 if number < 12 else 200)

    hook = Hook(down_for_a_while)
    url = await hook_url(hook)
    episodes = ["ep1", "ep2", "ep3"]
    await enqueue(store, *(item(e, s) for s in range(4) for e in episodes))
    clock = FakeClock(T0)
    metrics = Metrics()
    worker = OutboxWorker(
        store, session, [receiver(url, concurrency=2)], metrics, sent_ttl_s=60, clock=clock
    )
    for _ in range(40):
        await settle(worker)
        clock.now += 120  # past any backoff
        if not await store.outbox_pending():
            break
    assert await store.outbox_pending() == []
    assert sorted(hook.accepted) == sorted(f"{e}-{s}" for e in episodes for s in range(4))
    assert len(hook.accepted) == len(set(hook.accepted))  # no id accepted twice
    assert all(seq == [0, 1, 2, 3] for seq in by_episode(hook.accepted).values())
    assert hook.most_in_flight <= 2
    assert metrics.deliveries.labels("hook", "delivered")._value.get() == 12
    assert metrics.delivery_attempts.labels("hook", "503")._value.get() == 12


async def test_429_retry_after_is_honoured(
    store: Store, hook_url: Callable[[Hook], Awaitable[str]], session: aiohttp.ClientSession
) -> None:
    async def busy_once(number: int) -> web.Response:
        if number == 0:
            return web.Response(status=429, headers={"Retry-After": "30"})
        return web.Response(status=200)

    hook = Hook(busy_once)
    url = await hook_url(hook)
    await enqueue(store, item("ep", 0, "opened"))
    clock = FakeClock(T0)
    worker = OutboxWorker(store, session, [receiver(url)], Metrics(), sent_ttl_s=60, clock=clock)
    await settle(worker)
    (pending,) = await store.outbox_pending()
    assert (pending.attempts, pending.next_at, pending.last_error) == (1, T0 + 30, "429")
    clock.now += 29
    await settle(worker)
    assert len(hook.requests) == 1  # not before the receiver asked
    clock.now += 1
    await settle(worker)
    assert hook.accepted == ["ep-0"]
    assert await store.was_sent("hook", "ep-0")


async def test_refusal_and_age_make_dead_letters_that_can_be_resent(
    store: Store, hook_url: Callable[[Hook], Awaitable[str]], session: aiohttp.ClientSession
) -> None:
    answers = {0: 400}

    async def script(number: int) -> web.Response:
        return web.Response(status=answers.get(number, 200))

    hook = Hook(script)
    url = await hook_url(hook)
    clock = FakeClock(T0)
    metrics = Metrics()
    dead_after = 3600.0
    await enqueue(
        store, item("refused", 0, "opened"), item("old", 0, "opened", enqueued_at=T0 - dead_after)
    )
    worker = OutboxWorker(
        store,
        session,
        [receiver(url, dead_letter_after_s=dead_after)],
        metrics,
        sent_ttl_s=60,
        clock=clock,
    )
    await settle(worker)
    reasons = {d.id: d.dead_reason for d in await store.dead_letters()}
    assert reasons == {"refused-0": "rejected with HTTP 400", "old-0": "undelivered after 3600 s"}
    assert len(hook.requests) == 1  # the old one was never tried
    await settle(worker)
    assert metrics.dead_letters.labels("hook")._value.get() == 2
    assert await store.resend_dead_letters(None, now=clock.now) == 2
    await settle(worker)
    assert sorted(hook.accepted) == ["old-0", "refused-0"]
    assert await store.dead_letters() == []


async def test_silences_and_acknowledgements_are_honoured(
    store: Store, hook_url: Callable[[Hook], Awaitable[str]], session: aiohttp.ClientSession
) -> None:
    hook = Hook(ok)
    url = await hook_url(hook)
    clock = FakeClock(T0)
    metrics = Metrics()
    await store.add_silence(Silence(id="s1", hex="ae2fd0", country="MX", rule="loiter",
                                    until=T0 + 100, created_at=T0))  # fmt: skip
    await store.add_silence(Silence(id="s2", rule="squawk", until=T0 - 1, created_at=T0))
    await store.acknowledge("acked", b'{"by":"test"}', ttl_s=60)
    await enqueue(
        store,
        item("silenced", 0, "opened"),
        item("expired-silence", 0, "opened", rule="squawk"),
        item("acked", 1, "update", rule="squawk"),
        item("acked", 2, "resolved", rule="squawk"),
    )
    worker = OutboxWorker(store, session, [receiver(url)], metrics, sent_ttl_s=60, clock=clock)
    for _ in range(3):
        await settle(worker)
    assert hook.accepted == ["expired-silence-0", "acked-2"]  # resolution still goes out
    assert metrics.silenced.labels("loiter")._value.get() == 1
    assert metrics.deliveries.labels("hook", "acknowledged")._value.get() == 1
    assert not await store.was_sent("hook", "silenced-0")  # the log records sends only
    assert await store.outbox_pending() == []


async def test_repeat_interval_throttles_updates_but_not_resolutions(
    store: Store, hook_url: Callable[[Hook], Awaitable[str]], session: aiohttp.ClientSession
) -> None:
    hook = Hook(ok)
    url = await hook_url(hook)
    clock = FakeClock(T0)
    # Updates every 60 s of feed time; the receiver wants at most one per 150 s.
    await enqueue(store, *(item("ep", s, "update") for s in range(6)), item("ep", 6, "resolved"))
    worker = OutboxWorker(
        store,
        session,
        [receiver(url, repeat_interval_s=150)],
        Metrics(),
        sent_ttl_s=60,
        clock=clock,
    )
    for _ in range(8):
        await settle(worker)
    assert hook.accepted == ["ep-0", "ep-3", "ep-6"]


class FlakyStore(MemoryStore):
    """A store that fails its first `failures` reads, as Redis does while restarting."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    async def outbox_pending(self, limit: int = 1000) -> list[OutboxItem]:
        if self.failures:
            self.failures -= 1
            raise StoreError("redis at redis://x: outbox_pending failed: ConnectionError")
        return await super().outbox_pending(limit)


async def test_worker_rides_out_a_store_outage(
    hook_url: Callable[[Hook], Awaitable[str]],
    session: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(outbox_module, "STORE_RETRY_S", 0.01)
    hook = Hook(ok)
    url = await hook_url(hook)
    store = FlakyStore(failures=3)
    await enqueue(store, item("ep", 0, "opened", enqueued_at=time.time()))
    worker = OutboxWorker(store, session, [receiver(url)], Metrics(), sent_ttl_s=60)
    running = asyncio.create_task(worker.run())
    try:
        await asyncio.wait_for(hook.got.wait(), timeout=10)
    finally:
        running.cancel()
    assert hook.accepted == ["ep-0"] and store.failures == 0


async def test_concurrency_limit_per_receiver(
    store: Store, hook_url: Callable[[Hook], Awaitable[str]], session: aiohttp.ClientSession
) -> None:
    two_in, release = asyncio.Event(), asyncio.Event()

    async def hold(_: int) -> web.Response:
        if hook.in_flight >= 2:
            two_in.set()
        await release.wait()
        return web.Response(status=200)

    hook = Hook(hold)
    url = await hook_url(hook)
    await enqueue(store, *(item(f"ep{e}", 0, "opened") for e in range(5)))
    worker = OutboxWorker(
        store,
        session,
        [receiver(url, concurrency=2)],
        Metrics(),
        sent_ttl_s=60,
        clock=FakeClock(T0),
    )
    await worker.step()
    await asyncio.wait_for(two_in.wait(), timeout=10)
    for _ in range(50):  # let every started send run as far as it can
        await asyncio.sleep(0)
    assert (hook.in_flight, len(hook.requests), len(worker.tasks)) == (2, 2, 5)
    release.set()
    while worker.tasks:
        await asyncio.gather(*list(worker.tasks))
    assert sorted(hook.accepted) == [f"ep{e}-0" for e in range(5)]
    assert hook.most_in_flight == 2


def leader(metrics: Metrics) -> float | None:
    return metrics.registry.get_sample_value("borderwatch_delivery_leader")


async def test_one_worker_per_store_delivers_and_another_takes_over(
    store: Store, hook_url: Callable[[Hook], Awaitable[str]], session: aiohttp.ClientSession
) -> None:
    hook = Hook(ok)
    url = await hook_url(hook)
    clock = FakeClock(T0)
    metrics_a, metrics_b = Metrics(), Metrics()
    first = OutboxWorker(
        store, session, [receiver(url)], metrics_a, sent_ttl_s=60, clock=clock, holder="a"
    )
    second = OutboxWorker(
        store, session, [receiver(url)], metrics_b, sent_ttl_s=60, clock=clock, holder="b"
    )
    await enqueue(store, item("ep1", 0, "opened"), item("ep2", 0, "opened"))
    await settle(first)
    await settle(second)  # the lease is taken: no send at all
    assert (first.leader, second.leader) == (True, False)
    assert (leader(metrics_a), leader(metrics_b)) == (1, 0)
    assert sorted(hook.accepted) == ["ep1-0", "ep2-0"]
    await enqueue(store, item("ep1", 1), item("ep3", 0, "opened"))
    for _ in range(3):
        await settle(second)
        clock.now += outbox_module.LEASE_TTL_S  # the follower keeps asking: still refused
    assert len(hook.requests) == 2
    await settle(first)  # the leader renews (a third of its TTL passed) and delivers
    assert sorted(hook.accepted) == ["ep1-0", "ep1-1", "ep2-0", "ep3-0"]
    # Shutdown releases the lease: the other instance takes over at its next pass.
    await enqueue(store, item("ep1", 2), item("ep4", 0, "opened"))
    await first.close(grace_s=1.0)
    assert (first.leader, leader(metrics_a)) == (False, 0)
    await settle(second)
    assert (second.leader, leader(metrics_b)) == (True, 1)
    assert sorted(hook.accepted) == ["ep1-0", "ep1-1", "ep1-2", "ep2-0", "ep3-0", "ep4-0"]
    assert len(hook.accepted) == len(set(hook.accepted))  # nothing delivered twice
    await second.close(grace_s=1.0)


async def test_a_worker_that_lost_the_lease_starts_nothing_but_finishes_in_flight(
    store: Store, hook_url: Callable[[Hook], Awaitable[str]], session: aiohttp.ClientSession
) -> None:
    release = asyncio.Event()

    async def hold(_: int) -> web.Response:
        await release.wait()
        return web.Response(status=200)

    hook = Hook(hold)
    url = await hook_url(hook)
    clock = FakeClock(T0)
    first = OutboxWorker(store, session, [receiver(url)], Metrics(), sent_ttl_s=60, clock=clock)
    await enqueue(store, item("ep1", 0, "opened"))
    await first.step()
    assert first.leader and len(first.tasks) == 1
    host, pid, _ = first.holder.rsplit(":", 2)  # hostname:pid:random
    assert (host, pid) == (socket.gethostname(), str(os.getpid()))
    # The lease runs out while the send hangs (deleted: as if it expired) and another
    # instance takes it.
    assert await store.release_lease(outbox_module.LEASE_NAME, first.holder)
    assert await store.acquire_lease(outbox_module.LEASE_NAME, "other", 60)
    await enqueue(store, item("ep2", 0, "opened"))
    clock.now += outbox_module.LEASE_TTL_S / 3  # time to renew: refused
    await first.step()
    assert not first.leader and len(first.tasks) == 1  # ep2 not started
    release.set()
    while first.tasks:
        await asyncio.gather(*list(first.tasks))
    assert hook.accepted == ["ep1-0"]  # the send in flight finished
    assert [i.id for i in await store.outbox_pending()] == ["ep2-0"]
    await first.close(grace_s=0)
    # Its close does not release a lease it no longer holds.
    assert await store.acquire_lease(outbox_module.LEASE_NAME, "third", 60) is False
