"""Durability across a Redis restart: a private redis-server with append-only
persistence is killed (SIGKILL) and restarted while the receiver is down; the worker
rides out the outage and every queued notification is delivered once, in order."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import msgspec
import pytest
from aiohttp import web
from pydantic import SecretStr

from service.deliver import outbox as outbox_module
from service.deliver.outbox import OutboxWorker
from service.metrics import Metrics
from service.settings.receivers import WebhookReceiver
from service.store import RedisStore
from service.store.records import OutboxItem
from tests.support.redis import RedisProcess
from tests.support.servers import Serve


def item(episode: str, sequence: int) -> OutboxItem:
    id_ = f"{episode}-{sequence}"
    return OutboxItem(
        receiver="hook",
        id=id_,
        fingerprint=episode,
        sequence=sequence,
        kind="update",
        rule="loiter",
        hex="ae2fd0",
        country="MX",
        payload=msgspec.Raw(json.dumps({"id": id_}).encode()),
        at=float(sequence),
        enqueued_at=time.time(),
    )


async def test_redis_killed_and_restarted_loses_nothing(
    private_redis: RedisProcess, monkeypatch: pytest.MonkeyPatch, serve: Serve
) -> None:
    monkeypatch.setattr(outbox_module, "STORE_RETRY_S", 0.05)
    redis = private_redis
    await redis.start()
    up, tried, everything = False, asyncio.Event(), asyncio.Event()
    accepted: list[str] = []
    expected = [f"ep{e}-{s}" for e in range(3) for s in range(3)]

    async def hook(request: web.Request) -> web.Response:
        tried.set()
        if not up:
            return web.Response(status=503)
        accepted.append(request.headers["X-Borderwatch-Id"])
        if len(accepted) >= len(expected):
            everything.set()
        return web.Response(status=200)

    base = await serve({"POST /hook": hook})
    store = RedisStore(redis.url, prefix="bwrestart", timeout_s=1.0)
    receiver = WebhookReceiver(
        name="hook",
        signing="none",
        url=SecretStr(f"{base}/hook"),
        backoff_initial_s=0.01,
        backoff_max_s=0.05,
    )
    try:
        for e in range(3):
            for s in range(3):
                assert await store.claim_notification(
                    f"ep{e}-{s}", ttl_s=600, outbox=[item(f"ep{e}", s)]
                )
        async with aiohttp.ClientSession() as session:
            worker = OutboxWorker(store, session, [receiver], Metrics(), sent_ttl_s=600)
            running = asyncio.create_task(worker.run())
            try:
                await asyncio.wait_for(tried.wait(), timeout=10)
                await redis.kill()
                await redis.start()  # replays the append-only file
                up = True
                worker.kick()
                await asyncio.wait_for(everything.wait(), timeout=20)
            finally:
                running.cancel()
                # The receiver has answered the last send; let it record that.
                await worker.close(grace_s=10)
        assert await store.outbox_depth() == 0
    finally:
        await store.close()
    assert sorted(accepted) == sorted(expected) and len(accepted) == len(set(accepted))
    for e in range(3):
        assert [a for a in accepted if a.startswith(f"ep{e}-")] == [f"ep{e}-{s}" for s in range(3)]
