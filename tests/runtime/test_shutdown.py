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
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from aiohttp import web

from service.store import KeySpace
from tests.support.feeds import RECORDING_AS_LIVE
from tests.support.net import free_port
from tests.support.paths import ROOT
from tests.support.servers import http_server

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
        env = {k: v for k, v in os.environ.items() if not k.startswith("BORDERWATCH_")}
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
