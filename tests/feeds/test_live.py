"""Sources against local servers speaking each API: fusion of every kind, 429 with
Retry-After and a hanging source each delaying only themselves. Time is a fake clock
driven by the test; only request timeouts against the local servers are real."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from service.feeds.poller import Poller
from service.metrics import Metrics
from tests.feeds.support import Collector, aircraft, sample, source, v2
from tests.support.clock import T0, FakeClock, InstantClock
from tests.support.servers import Serve, port_of, tcp_server


async def test_fused_stream_is_the_union_of_every_source_kind(serve: Serve, tmp_path: Path) -> None:
    async def lol(_: web.Request) -> web.Response:
        return web.json_response(v2(T0, aircraft("ae0001", 20.0), aircraft("ae0002", 21.0)))

    async def fi(_: web.Request) -> web.Response:  # adsb.fi may call the list `aircraft`
        return web.json_response(
            v2(T0, aircraft("ae0002", 21.0), aircraft("ae0003", 22.0), key="aircraft")
        )

    async def opensky(_: web.Request) -> web.Response:
        row = [
            "ae0004",
            "OS1     ",
            "United States",
            int(T0),
            int(T0),
            -100.0,
            23.0,
            3048.0,
            False,
            100.0,
            90.0,
            0.0,
            None,
            3100.0,
            None,
            False,
            0,
        ]
        return web.json_response({"time": int(T0), "states": [row]})

    base = await serve({"GET /v2/mil": lol, "GET /fi/v2/mil": fi, "GET /api/states/all": opensky})
    readsb = tmp_path / "aircraft.json"
    readsb.write_text(json.dumps({"now": T0, "aircraft": [aircraft("ae0005", 24.0)]}))
    done = asyncio.Event()

    async def sbs_client(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(
            b"MSG,3,1,1,AE0006,1,2025/08/13,10:40:00.000,2025/08/13,10:40:00.000,,"
            b"21000,,,25.0,-100.0,,,0,,0,0\r\n"
        )
        await writer.drain()
        await done.wait()  # hold the connection open until the test ends
        writer.close()

    clock, collect = InstantClock(), Collector()
    async with tcp_server(sbs_client) as server, aiohttp.ClientSession() as session:
        port = port_of(server)
        # Every server answers with one fixed moment (so a repeated poll is a duplicate),
        # while the instant clock runs on: the answers may age.
        aged = {"max_age_s": 86400}
        sources = [
            source(
                {"name": "lol", "kind": "adsbx", "base_url": base, "mil": True, **aged},
                session,
                clock,
            ),
            source(
                {"name": "fi", "kind": "adsbx", "url": f"{base}/fi/v2/mil", **aged}, session, clock
            ),
            source(
                {"name": "os", "kind": "opensky", "base_url": f"{base}/api", **aged}, session, clock
            ),
            source({"name": "pi", "kind": "readsb", "path": str(readsb), **aged}, session, clock),
            source({"name": "rx", "kind": "sbs", "port": port, "interval_s": 0.05}, session, clock),
        ]
        tasks = [asyncio.create_task(s.runner.run(collect)) for s in sources]
        async with asyncio.timeout(10):
            while len(collect.sources_by_hex()) < 6:
                collect.arrived.clear()
                await collect.arrived.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        done.set()
    by_hex = collect.sources_by_hex()
    assert by_hex == {
        "ae0001": "lol",
        "ae0002": by_hex["ae0002"],
        "ae0003": "fi",
        "ae0004": "os",
        "ae0005": "pi",
        "ae0006": "rx",
    }
    # ae0002 came from both aggregators (and every repeated poll): passed on once.
    assert sum(p.hex == "ae0002" for s in collect.snapshots for p in s.positions) == 1
    assert collect.fuser.stats.duplicate >= 1
    opensky_position = next(p for s in collect.snapshots for p in s.positions if p.source == "os")
    assert opensky_position.alt_ft == 10000 and opensky_position.gs_kt == pytest.approx(194.4)


async def test_429_with_retry_after_delays_that_source_only(serve: Serve) -> None:
    hits = {"limited": 0, "healthy": 0}

    async def limited(_: web.Request) -> web.Response:
        hits["limited"] += 1
        return web.Response(status=429, headers={"Retry-After": "120"})

    async def healthy(_: web.Request) -> web.Response:
        hits["healthy"] += 1
        return web.json_response(v2(T0 + hits["healthy"], aircraft("ae0001", 20.0)))

    base = await serve({"GET /limited": limited, "GET /healthy": healthy})
    clock, collect, metrics = FakeClock(), Collector(), Metrics()
    async with aiohttp.ClientSession() as session:
        a = source(
            {"name": "a", "kind": "adsbx", "url": f"{base}/limited", "interval_s": 15},
            session,
            clock,
            metrics,
        )
        b = source(
            {"name": "b", "kind": "adsbx", "url": f"{base}/healthy", "interval_s": 15},
            session,
            clock,
            metrics,
        )
        tasks = [asyncio.create_task(s.runner.run(collect)) for s in (a, b)]
        await clock.run_until(T0 + 100, tasks=2)
        assert hits == {"limited": 1, "healthy": 7}  # b every 15 s: 0, 15, ..., 90
        assert a.status.backoff_s >= 120 and b.status.backoff_s == 0
        assert sample(metrics, "borderwatch_feed_backoff_seconds", source="a") >= 120
        await clock.run_until(T0 + 125, tasks=2)
        assert hits["limited"] == 2  # retried once Retry-After had passed
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    assert sample(metrics, "borderwatch_feed_requests_total", source="a", outcome="http_429") == 2
    assert sample(metrics, "borderwatch_feed_positions_total", source="b") == 9


async def test_a_source_that_times_out_does_not_delay_a_healthy_one(serve: Serve) -> None:
    hung, release = asyncio.Event(), asyncio.Event()

    async def slow(_: web.Request) -> web.Response:
        hung.set()
        await release.wait()
        return web.json_response(v2(T0, aircraft("ae0009", 20.0)))

    polls = 0

    async def healthy(_: web.Request) -> web.Response:
        nonlocal polls
        polls += 1
        return web.json_response(v2(T0 + polls, aircraft("ae0001", 20.0)))

    base = await serve({"GET /slow": slow, "GET /healthy": healthy})
    clock, collect, metrics = InstantClock(), Collector(), Metrics()
    async with aiohttp.ClientSession() as session:
        a = source(
            {"name": "a", "kind": "adsbx", "url": f"{base}/slow", "timeout_s": 30},
            session,
            clock,
            metrics,
        )
        b = source({"name": "b", "kind": "adsbx", "url": f"{base}/healthy"}, session, clock)
        tasks = [asyncio.create_task(s.runner.run(collect)) for s in (a, b)]
        async with asyncio.timeout(10):
            await hung.wait()
            while len(collect.snapshots) < 5:  # five polls of b while a hangs
                collect.arrived.clear()
                await collect.arrived.wait()
        assert a.status.last_attempt is None  # a's first request is still outstanding
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        release.set()
        # The same slow server against a short real timeout: counted, then backoff.
        a = source(
            {"name": "a", "kind": "adsbx", "url": f"{base}/slow", "timeout_s": 0.2},
            session,
            FakeClock(),
            metrics,
        )
        release.clear()
        assert isinstance(a.runner, Poller)
        wait = await a.runner.cycle(collect)
        release.set()
    assert sample(metrics, "borderwatch_feed_requests_total", source="a", outcome="timeout") == 1
    assert wait >= 15 and a.status.last_error == "timeout"  # backoff from interval_s (15)
