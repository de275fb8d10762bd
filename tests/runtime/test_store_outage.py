"""Redis comes and goes under a running `borderwatch run`: a real redis-server (append-
only, as in the compose stack) that is not there at start, or is killed mid-run and
started again. The service stays up, says why it is not ready, keeps polling, and
once Redis answers delivers exactly the notifications a replay of the same data
prints: none lost, none twice."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp

from service.runtime import run_service
from service.settings import Settings
from tests.runtime.support import RULES, Receiver, TroyFeed, expected, key, troy_lines
from tests.support.net import free_port
from tests.support.redis import RedisProcess
from tests.support.servers import Serve


def settings(redis: RedisProcess, feed: TroyFeed, base: str, port: int, bounds: Path) -> Settings:
    return Settings.model_validate(
        {
            "boundaries": {"path": str(bounds)},
            "store": {"redis_url": redis.url, "key_prefix": "bwoutage"},
            "rules": RULES,
            "feeds": [feed.config(base)],
            "receivers": [
                {
                    "name": "hook",
                    "url": f"{base}/hook",
                    "signing": "none",
                    "backoff_initial_s": 0.05,
                    "backoff_max_s": 0.2,
                }
            ],
            "http": {"host": "127.0.0.1", "port": port},
        }
    )


async def get(port: int, path: str) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}{path}") as response,
    ):
        body = await (response.json() if path != "/metrics" else response.text())
        return response.status, body


async def test_started_with_redis_down_stays_up_and_catches_up(
    private_redis: RedisProcess,
    troy701_path: Path,
    boundaries_path: Path,
    tmp_path: Path,
    serve: Serve,
) -> None:
    lines = troy_lines(troy701_path)
    wanted = await expected(boundaries_path, lines, tmp_path)
    feed, receiver = TroyFeed(lines), Receiver(wanted=len(wanted))
    feed.flowing.clear()  # the same first snapshot, again and again, while Redis is away
    base = await serve({"GET /data/aircraft.json": feed.handle, "POST /hook": receiver.handle})
    port = free_port()
    started, stop = asyncio.Event(), asyncio.Event()
    service = asyncio.create_task(
        run_service(settings(private_redis, feed, base, port, boundaries_path), stop, started)
    )
    try:
        async with asyncio.timeout(60):
            await started.wait()
            while feed.requests < 20:  # polling goes on without the store
                await asyncio.sleep(0.05)
            assert (await get(port, "/healthz"))[0] == 200
            status, ready = await get(port, "/readyz")
            assert status == 503
            assert f"store not answering (redis at {private_redis.url})" in ready["problems"]
            assert "saved state not restored yet (waiting for the store)" in ready["problems"]
            await private_redis.start()
            while "saved state not restored yet" in str((await get(port, "/readyz"))[1]):
                await asyncio.sleep(0.05)
            # Restored: now the recording flows (the buffer in front of the pipeline
            # holds only `run.snapshot_buffer` snapshots).
            feed.flowing.set()
            await feed.done.wait()
        async with asyncio.timeout(60):
            await receiver.enough.wait()
            while (await get(port, "/readyz"))[0] != 200:
                await asyncio.sleep(0.1)
        _, metrics = await get(port, "/metrics")
    finally:
        stop.set()
        assert await asyncio.wait_for(service, timeout=30) == 0
    assert sorted(map(key, receiver.received)) == sorted(map(key, wanted))
    assert "borderwatch_store_up 1.0" in metrics
    assert 'borderwatch_store_errors_total{operation="get_feed_clock"}' in metrics


async def test_redis_killed_mid_run_loses_nothing_and_sends_nothing_twice(
    private_redis: RedisProcess,
    troy701_path: Path,
    boundaries_path: Path,
    tmp_path: Path,
    serve: Serve,
) -> None:
    lines = troy_lines(troy701_path)
    wanted = await expected(boundaries_path, lines, tmp_path)
    feed, receiver = TroyFeed(lines), Receiver(wanted=1)
    base = await serve({"GET /data/aircraft.json": feed.handle, "POST /hook": receiver.handle})
    await private_redis.start()
    port = free_port()
    started, stop = asyncio.Event(), asyncio.Event()
    service = asyncio.create_task(
        run_service(settings(private_redis, feed, base, port, boundaries_path), stop, started)
    )
    try:
        async with asyncio.timeout(60):
            await receiver.enough.wait()  # the crossing went out; now Redis dies
            await private_redis.kill()
            served_at_kill = feed.served
            while feed.served < min(len(lines), served_at_kill + 300):
                await asyncio.sleep(0.05)  # the pipeline goes on: depth milestones
            status, ready = await get(port, "/readyz")
            assert status == 503
            assert f"store not answering (redis at {private_redis.url})" in ready["problems"]
            _, metrics = await get(port, "/metrics")
            assert "borderwatch_store_up 0.0" in metrics
            await private_redis.start()  # it replays its append-only file
            await feed.done.wait()
            receiver.wanted, receiver.enough = len(wanted), asyncio.Event()
            if len(receiver.received) < len(wanted):
                await receiver.enough.wait()
            while (await get(port, "/readyz"))[0] != 200:
                await asyncio.sleep(0.1)
    finally:
        stop.set()
        assert await asyncio.wait_for(service, timeout=30) == 0
    assert len(receiver.ids()) == len(set(receiver.ids())), "a notification went out twice"
    assert sorted(map(key, receiver.received)) == sorted(map(key, wanted))
