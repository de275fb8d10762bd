"""Graceful shutdown of a real `borderwatch run` process on SIGTERM.

The process polls a local feed (TROY701 crossing into Mexico) and delivers to a local
receiver that holds the first webhook open. SIGTERM arrives while that delivery is in
flight: polling must stop, the delivery must still complete, the state must be in
Redis (feed clock, the aircraft and its episode) and the liveness key must be gone;
the process exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis
from aiohttp import web

from service.deliver.outbox import OutboxWorker
from service.runtime import run_service
from service.runtime.service import EXIT_MARGIN_S
from service.settings import Settings
from service.store import KeySpace
from tests.runtime.support import RULES, Receiver, TroyFeed, expected, service_env, troy_lines
from tests.support.feeds import RECORDING_AS_LIVE
from tests.support.net import free_port
from tests.support.paths import ROOT
from tests.support.servers import Serve, http_server

PREFIX = "bwshutdowntest"
T0 = 1_755_081_600.0


class Local:
    """A feed (TROY701 moving south inside Mexico) and a receiver that holds webhooks
    until `release` is set."""

    def __init__(self) -> None:
        self.polls = 0
        self.received: list[dict[str, Any]] = []
        self.holding = asyncio.Event()
        self.release = asyncio.Event()

    async def feed(self, _: web.Request) -> web.Response:
        self.polls += 1
        troy = {"hex": "ae2fd0", "flight": "TROY701 ", "r": "CBP-113", "t": "Q9",
                "dbFlags": 1, "lat": 24.0 - 0.05 * self.polls, "lon": -101.0,
                "alt_baro": 23000, "gs": 220.0, "track": 180.0, "seen_pos": 0.5}  # fmt: skip
        now = T0 + 30 * self.polls
        return web.json_response({"ac": [troy], "now": now * 1000, "msg": "No error"})

    async def hook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.holding.set()
        await self.release.wait()
        self.received.append(body)
        return web.Response(status=204)


@contextlib.asynccontextmanager
async def serve(local: Local) -> AsyncIterator[str]:
    async with http_server({"GET /v2/mil": local.feed, "POST /hook": local.hook}) as base:
        try:
            yield base
        finally:
            local.release.set()


async def _get(url: str, key: str) -> bytes | None:
    client = aioredis.Redis.from_url(url)
    try:
        value = await client.get(key)
        assert value is None or isinstance(value, bytes)  # no decode_responses: raw bytes
        return value
    finally:
        await client.aclose()


def events_of(lines: list[bytes]) -> list[dict[str, Any]]:
    """The JSON log events among stderr lines (anything else is ignored)."""
    found = []
    for line in lines:
        with contextlib.suppress(ValueError):
            event = json.loads(line)
            if isinstance(event, dict) and "event" in event:
                found.append(event)
    return found


async def test_sigterm_stops_polling_flushes_deliveries_and_saves_state(
    boundaries_path: Path, redis_url: str, tmp_path: Path
) -> None:
    local = Local()
    async with serve(local) as base:
        config = tmp_path / "config.yaml"
        config.write_text(
            json.dumps(
                {
                    "boundaries": {"path": str(boundaries_path)},
                    "store": {"redis_url": redis_url, "key_prefix": PREFIX},
                    "feeds": [
                        {
                            "name": "local",
                            "kind": "adsbx",
                            "url": f"{base}/v2/mil",
                            "interval_s": 0.2,
                            **RECORDING_AS_LIVE,
                        }
                    ],
                    "rules": [{"id": "foreign-airspace", "type": "foreign_airspace"}],
                    "receivers": [
                        {"name": "hook", "url": f"{base}/hook", "timeout_s": 30, "signing": "none"}
                    ],
                    "http": {"host": "127.0.0.1", "port": free_port()},
                }
            )
        )
        env = service_env()
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "service", "--log-json", "run", "--config", str(config),
            cwd=ROOT, env=env, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert proc.stderr is not None
        lines: list[bytes] = []
        try:
            async with asyncio.timeout(60):
                await local.holding.wait()  # a webhook is in flight
                alive = await _get(redis_url, KeySpace(PREFIX).alive)
                assert alive is not None and json.loads(alive)["pid"] == proc.pid
                proc.send_signal(signal.SIGTERM)
                while not any(e["event"] == "service.stopping" for e in events_of(lines)):
                    line = await proc.stderr.readline()
                    assert line, b"".join(lines).decode()
                    lines.append(line)
                polls_at_stop = local.polls
                local.release.set()  # the receiver answers only now, after SIGTERM
                lines += (await proc.stderr.read()).splitlines()
                assert await proc.wait() == 0, b"\n".join(lines).decode()
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        events = [e["event"] for e in events_of(lines)]

    assert events[-1] == "service.stopped", events
    assert local.polls <= polls_at_stop + 1, "polling went on after SIGTERM"
    assert [n["rule"]["id"] for n in local.received][:1] == ["foreign-airspace"]
    assert "service.undelivered" not in events

    keys = KeySpace(PREFIX)
    client = aioredis.Redis.from_url(redis_url)
    try:
        assert await client.get(keys.alive) is None, "liveness key left behind"
        clock = await client.get(keys.feed_clock)
        assert clock is not None and float(clock) > T0
        assert await client.exists(keys.aircraft("ae2fd0"), keys.track("ae2fd0")) == 2
        assert b"ae2fd0" in await client.smembers(keys.active)
    finally:
        await client.aclose()


def run_config(
    path: Path, bounds: Path, redis_url: str, prefix: str, base: str, port: int, grace: float
) -> Path:
    path.write_text(
        json.dumps(
            {
                "boundaries": {"path": str(bounds)},
                "store": {"redis_url": redis_url, "key_prefix": prefix},
                "feeds": [TroyFeed([]).config(base)],
                "rules": RULES,
                "receivers": [
                    {
                        "name": "hook",
                        "url": f"{base}/hook",
                        "signing": "none",
                        "timeout_s": 60,
                        "backoff_initial_s": 0.05,
                        "backoff_max_s": 0.2,
                    }
                ],
                "http": {"host": "127.0.0.1", "port": port},
                "run": {"shutdown_grace_s": grace},
            }
        )
    )
    return path


async def start(config: Path) -> asyncio.subprocess.Process:
    env = service_env()
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "service", "--log-json", "run", "--config", str(config),
        cwd=ROOT, env=env, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


async def feed_clock(port: int) -> float | None:
    """The feed time the service has processed up to (from /metrics), if it answers."""
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/metrics") as response,
        ):
            text = await response.text()
    except aiohttp.ClientError:
        return None
    for line in text.splitlines():
        if line.startswith("borderwatch_feed_clock_seconds "):
            return float(line.split()[1])
    return None


async def test_sigterm_under_load_exits_within_grace_and_the_outbox_keeps_the_rest(
    boundaries_path: Path, redis_url: str, troy701_path: Path, tmp_path: Path, serve: Serve
) -> None:
    lines = troy_lines(troy701_path)
    wanted = {n["id"] for n in await expected(boundaries_path, lines, tmp_path)}
    last_now = json.loads(lines[-1])["now"]
    feed, receiver = TroyFeed(lines), Receiver(wanted=len(wanted))
    receiver.hold = True  # every delivery hangs: the worker is as busy as it gets
    base = await serve({"GET /data/aircraft.json": feed.handle, "POST /hook": receiver.handle})
    prefix, grace = f"bwload-{os.getpid()}", 2.0
    port = free_port()
    config = run_config(tmp_path / "c.yaml", boundaries_path, redis_url, prefix, base, port, grace)
    first = await start(config)
    try:
        async with asyncio.timeout(90):
            await feed.done.wait()
            await receiver.holding.wait()
            while (await feed_clock(port) or 0) < last_now:  # every line processed
                await asyncio.sleep(0.05)
        began = time.monotonic()
        first.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(first.wait(), timeout=grace + 10) == 0
        stopped_in = time.monotonic() - began
    finally:
        if first.returncode is None:
            first.kill()
            await first.wait()
    assert stopped_in <= grace + 5, f"stopped in {stopped_in:.1f} s"
    keys = KeySpace(prefix)
    client = aioredis.Redis.from_url(redis_url)
    try:
        assert await client.zcard(keys.outbox_queue) > 0  # the rest waits in the outbox
    finally:
        await client.aclose()

    receiver.hold = False
    receiver.release.set()  # the hung attempt answers 503 now: it was never accepted
    second = await start(config)
    try:
        async with asyncio.timeout(60):
            await receiver.enough.wait()
    finally:
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), timeout=30) == 0
    assert len(receiver.ids()) == len(set(receiver.ids())), "a notification went out twice"
    assert set(receiver.ids()) == wanted


async def test_a_second_signal_exits_at_once(
    boundaries_path: Path, redis_url: str, troy701_path: Path, tmp_path: Path, serve: Serve
) -> None:
    feed, receiver = TroyFeed(troy_lines(troy701_path)), Receiver()
    receiver.hold = True
    base = await serve({"GET /data/aircraft.json": feed.handle, "POST /hook": receiver.handle})
    port = free_port()
    config = run_config(tmp_path / "c.yaml", boundaries_path, redis_url,
                        f"bwtwice-{os.getpid()}", base, port, grace=120)  # fmt: skip
    proc = await start(config)
    try:
        async with asyncio.timeout(60):
            await receiver.holding.wait()  # a delivery hangs: the grace would be long
        proc.send_signal(signal.SIGTERM)
        await asyncio.sleep(0.5)  # the graceful stop has begun
        began = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), timeout=10) == 130
        assert time.monotonic() - began < 5
    finally:
        receiver.release.set()
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_a_graceful_stop_that_hangs_is_cut_off_after_the_grace_and_margin(
    boundaries_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def never_closes(self: OutboxWorker, grace_s: float) -> None:
        await asyncio.Event().wait()  # a step of the graceful stop that never ends

    monkeypatch.setattr(OutboxWorker, "close", never_closes)
    grace = 0.2
    settings = Settings.model_validate(
        {
            "boundaries": {"path": str(boundaries_path), "warm_up": False},
            "http": {"host": "127.0.0.1", "port": free_port()},
            "run": {"shutdown_grace_s": grace},
        }
    )
    stop, started = asyncio.Event(), asyncio.Event()
    service = asyncio.create_task(run_service(settings, stop, started))
    await asyncio.wait_for(started.wait(), timeout=30)
    stop.set()
    began = time.monotonic()
    assert await asyncio.wait_for(service, timeout=60) == 0
    assert time.monotonic() - began < grace + EXIT_MARGIN_S + 10
