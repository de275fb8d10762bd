"""Failures against local servers: OAuth2 token expiry, hostile responses, the
circuit breaker and SBS reconnects. Time is a fake clock driven by the test."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from service.feeds.poller import Poller
from service.metrics import Metrics
from tests.feeds.support import Collector, aircraft, sample, source, v2
from tests.support.clock import T0, FakeClock, InstantClock
from tests.support.servers import Serve, port_of, tcp_server


async def test_expired_oauth2_token_triggers_exactly_one_refresh(serve: Serve) -> None:
    issued: list[str] = []
    expired: set[str] = set()
    states_calls: list[str | None] = []

    async def token(request: web.Request) -> web.Response:
        form = await request.post()
        assert (form["grant_type"], form["client_id"], form["client_secret"]) == (
            "client_credentials",
            "me",
            "s3cret",
        )
        issued.append(f"t{len(issued) + 1}")
        return web.json_response({"access_token": issued[-1], "expires_in": 1800})

    async def states(request: web.Request) -> web.Response:
        auth = request.headers.get("Authorization")
        states_calls.append(auth)
        if auth is None or auth.removeprefix("Bearer ") in expired:
            return web.Response(status=401)
        return web.json_response(  # dated now, as a live server would
            {"time": int(clock.now), "states": []}, headers={"X-Rate-Limit-Remaining": "3990"}
        )

    base = await serve({"POST /token": token, "GET /api/states/all": states})
    clock, collect, metrics = FakeClock(), Collector(), Metrics()
    config = {
        "name": "os",
        "kind": "opensky",
        "base_url": f"{base}/api",
        "token_url": f"{base}/token",
        "client_id": "me",
        "client_secret": "s3cret",
        "boxes": [{"lat_min": 14, "lat_max": 19, "lon_min": -105, "lon_max": -100}],
    }
    async with aiohttp.ClientSession() as session:
        os_source = source(config, session, clock, metrics)
        poller = os_source.runner
        assert isinstance(poller, Poller)
        assert poller.adapter.plan()[0].url.endswith("lamin=14&lomin=-105&lamax=19&lomax=-100")
        await poller.cycle(collect)
        await poller.cycle(collect)  # the cached token is reused
        assert issued == ["t1"] and states_calls == ["Bearer t1", "Bearer t1"]
        expired.add("t1")  # the server expires it early
        await poller.cycle(collect)
        assert issued == ["t1", "t2"] and states_calls[2:] == ["Bearer t1", "Bearer t2"]
        # Shortly before it would expire, the token is refreshed without a 401.
        clock.now += 1800 - 30
        await poller.cycle(collect)
        assert issued == ["t1", "t2", "t3"] and states_calls[-1] == "Bearer t3"
        # A refreshed token refused too: one refresh only, then a failure.
        expired.update({"t3", "t4"})
        wait = await poller.cycle(collect)
        assert issued[-1] == "t4" and len(issued) == 4 and wait > 0
    assert os_source.status.last_error == "http_401"
    # 1 credit per 5x5 box; the server's own count (3990, less what we spent since) wins.
    assert sample(metrics, "borderwatch_feed_budget_remaining", source="os") <= 3990
    assert sample(metrics, "borderwatch_feed_requests_total", source="os", outcome="ok") == 4


BAD_INPUTS: list[tuple[str, Any, str]] = [
    ("truncated", b'{"now": 1755081600000, "ac": [{"hex": "ae0001", "lat": 2', "invalid_json"),
    ("not_json", b"<html>502 Bad Gateway</html>", "invalid_json"),
    ("not_object", b"[1, 2, 3]", "not_an_object"),
    ("bad_now", b'{"now": "soon", "ac": []}', "bad_now"),
    ("no_list", b'{"now": 1755081600000}', "missing_aircraft"),
    ("bad_list", b'{"now": 1755081600000, "ac": {"hex": "ae0001"}}', "bad_aircraft_list"),
    (
        "absurd_count",
        json.dumps(v2(T0, *[aircraft("ae0001", 1.0)] * 11)).encode(),
        "too_many_aircraft",
    ),
    ("huge_declared", b"x" * (2 * 1024 * 1024), "too_large"),
    ("huge_chunked", "chunked", "too_large"),
    ("trickle", "trickle", "timeout"),
    ("server_error", 500, "http_500"),
]


async def test_every_bad_input_is_counted_by_reason_and_survived(serve: Serve) -> None:
    async def bad(request: web.Request) -> web.StreamResponse:
        body = next(b for name, b, _ in BAD_INPUTS if name == request.match_info["case"])
        if isinstance(body, int):
            return web.Response(status=body)
        if body in ("chunked", "trickle"):
            response = web.StreamResponse()
            response.enable_chunked_encoding()
            await response.prepare(request)
            for _ in range(200 if body == "chunked" else 10_000):
                # chunked: 200 x 64 KiB with no Content-Length; trickle: a byte at a time.
                await response.write(b"x" * 65536 if body == "chunked" else b" ")
                if body == "trickle":
                    await asyncio.sleep(0.01)  # the hostile server's pace, not the test's
            return response
        return web.Response(body=body, content_type="application/json")

    async def mixed(_: web.Request) -> web.Response:
        records = [
            aircraft("ae0001", 20.0),
            aircraft("ae0002", 95.0),
            {"hex": 7},
            aircraft("ae0003", 20.0, lon="east"),
            "junk",
            aircraft("zz", 1.0),
        ]
        return web.json_response(v2(T0, *records))

    base = await serve({"GET /bad/{case}": bad, "GET /mixed": mixed})
    metrics, collect = Metrics(), Collector()
    async with aiohttp.ClientSession() as session:
        for name, _, reason in BAD_INPUTS:
            feed_name = name.replace("_", "-")
            feed = {
                "name": feed_name,
                "kind": "adsbx",
                "url": f"{base}/bad/{name}",
                "max_bytes": 1024 * 1024,
                "max_aircraft": 10,
                "timeout_s": 0.3 if name == "trickle" else 10,
            }
            poller = source(feed, session, FakeClock(), metrics).runner
            assert isinstance(poller, Poller)
            wait = await poller.cycle(collect)
            assert wait > 0, name
            outcome = sample(
                metrics, "borderwatch_feed_requests_total", source=feed_name, outcome=reason
            )
            assert outcome == 1, (name, reason)
        mixed_source = source(
            {"name": "mixed", "kind": "adsbx", "url": f"{base}/mixed"},
            session,
            FakeClock(),
            metrics,
        )
        assert isinstance(mixed_source.runner, Poller)
        await mixed_source.runner.cycle(collect)
    (snapshot,) = collect.snapshots
    assert [p.hex for p in snapshot.positions] == ["ae0001"]
    assert snapshot.rejected == {"bad_coordinates": 1, "malformed_record": 3, "bad_hex": 1}


async def test_breaker_opens_after_repeated_failures_and_probes_later(serve: Serve) -> None:
    healthy = False
    hits = 0

    async def flaky(_: web.Request) -> web.Response:
        nonlocal hits
        hits += 1
        if not healthy:
            return web.Response(status=503)
        return web.json_response(v2(clock.now, aircraft("ae0001", 20.0)))

    base = await serve({"GET /v2/mil": flaky})
    clock, collect, metrics = FakeClock(), Collector(), Metrics()
    async with aiohttp.ClientSession() as session:
        s = source(
            {
                "name": "f",
                "kind": "adsbx",
                "url": f"{base}/v2/mil",
                "interval_s": 10,
                "breaker_failures": 3,
                "breaker_probe_s": 600,
                "max_backoff_s": 60,
            },
            session,
            clock,
            metrics,
        )
        task = asyncio.create_task(s.runner.run(collect))
        await clock.run_until(T0 + 300, tasks=1)
        assert hits == 3 and s.status.circuit_open  # no request while open
        assert sample(metrics, "borderwatch_feed_circuit_open", source="f") == 1
        assert 300 <= s.status.backoff_s <= 600
        healthy = True
        await clock.run_until(T0 + 700, tasks=1)
        assert hits >= 4 and not s.status.circuit_open and s.status.backoff_s == 0
        assert sample(metrics, "borderwatch_feed_circuit_open", source="f") == 0
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_sbs_reconnects_after_the_server_restarts() -> None:
    connected = asyncio.Queue[asyncio.StreamWriter]()

    async def handler(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await connected.put(writer)

    clock, collect, metrics = InstantClock(), Collector(), Metrics()

    async def send(writer: asyncio.StreamWriter, hex_: str, second: int) -> None:
        writer.write(
            f"\r\nMSG,3,1,1,{hex_},1,2025/08/13,10:40:{second:02d}.000,2025/08/13,"
            f"10:40:{second:02d}.000,,21000,,,25.0,-100.0,,,0,,0,0\r\n".encode()
        )
        await writer.drain()

    async with aiohttp.ClientSession() as session, asyncio.timeout(10):
        async with tcp_server(handler) as server:
            port = port_of(server)
            s = source(
                {"name": "rx", "kind": "sbs", "port": port, "interval_s": 0.05, "timeout_s": 1},
                session,
                clock,
                metrics,
            )
            task = asyncio.create_task(s.runner.run(collect))
            writer = await connected.get()
            await send(writer, "AE0001", 1)
            await collect.arrived.wait()
            # The receiver restarts: connection dropped, port closed for a while.
            writer.close()
        while s.status.consecutive_failures < 3:  # refused while the port is closed
            clock.changed.clear()
            await clock.changed.wait()
        async with tcp_server(handler, port=port):
            writer = await connected.get()
            collect.arrived.clear()
            await send(writer, "AE0002", 5)
            await collect.arrived.wait()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            writer.close()
    assert set(collect.sources_by_hex()) == {"ae0001", "ae0002"}
    assert sample(metrics, "borderwatch_feed_requests_total", source="rx", outcome="ok") == 2
    assert sample(metrics, "borderwatch_feed_requests_total", source="rx", outcome="closed") == 1
    assert (
        sample(metrics, "borderwatch_feed_requests_total", source="rx", outcome="connection") >= 2
    )
    assert s.status.backoff_s == 0 and s.status.last_success is not None


async def test_daily_budget_stops_a_source_until_midnight_and_keys_are_sent(
    serve: Serve, tmp_path: Path
) -> None:
    seen: list[tuple[str | None, str | None]] = []

    async def keyed(request: web.Request) -> web.Response:
        seen.append((request.headers.get("api-auth"), request.headers.get("User-Agent")))
        return web.json_response(v2(clock.now, aircraft("ae0001", 20.0)))

    base = await serve({"GET /v2/mil": keyed})
    clock, collect, metrics = FakeClock(T0), Collector(), Metrics()
    async with aiohttp.ClientSession() as session:
        feed = {
            "name": "x",
            "kind": "adsbx",
            "base_url": base,
            "mil": True,
            "api_key": "k3y",
            "daily_budget": 2,
        }
        poller = source(feed, session, clock, metrics).runner
        assert isinstance(poller, Poller)
        midnight = 86400 - T0 % 86400  # 13:20 UTC: 48,000 s left today
        # Paced: one request left for the rest of the day, so wait until midnight...
        assert await poller.cycle(collect) == midnight
        # ...and when asked anyway, the last one is spent, then nothing until midnight.
        assert await poller.cycle(collect) == midnight
        assert await poller.cycle(collect) == midnight and len(seen) == 2
        assert sample(metrics, "borderwatch_feed_budget_remaining", source="x") == 0
        clock.now += midnight
        assert await poller.cycle(collect) == 86400 / 1  # a new day: 2 requests, 1 left
        paced = source({**feed, "name": "y", "daily_budget": 1001}, session, clock).runner
        assert isinstance(paced, Poller)
        # 1000 requests for a whole day stretch the 15 s interval to 86.4 s.
        assert await paced.cycle(collect) == pytest.approx(86.4)
        missing = source(
            {"name": "f", "kind": "readsb", "path": str(tmp_path / "none.json")},
            session,
            clock,
            metrics,
        ).runner
        assert isinstance(missing, Poller)
        assert await missing.cycle(collect) > 0
    assert len(seen) == 4
    assert seen[0][0] == "k3y" and (seen[0][1] or "").startswith("borderwatch/")
    assert sample(metrics, "borderwatch_feed_requests_total", source="f", outcome="file_missing")


async def test_sbs_hostile_lines_are_counted_and_the_stream_goes_on() -> None:
    good = (
        "MSG,3,1,1,AE0007,1,2025/08/13,10:40:00.000,2025/08/13,10:40:00.000,,"
        "21000,,,25.0,-100.0,,,0,,0,0\r\n"
    )
    hostile = ["x" * 5000 + "\r\n", "MSG,3,1,1\r\n", "MSG" + "," * 21 + "\r\n", good]
    done = asyncio.Event()

    async def handler(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write("".join(hostile).encode())
        await writer.drain()
        await done.wait()
        writer.close()

    clock, collect = InstantClock(), Collector()
    async with tcp_server(handler) as server, aiohttp.ClientSession() as session:
        feed = {"name": "rx", "kind": "sbs", "port": port_of(server), "interval_s": 0.05}
        task = asyncio.create_task(source(feed, session, clock).runner.run(collect))
        async with asyncio.timeout(10):
            while not any(s.positions for s in collect.snapshots):
                collect.arrived.clear()
                await collect.arrived.wait()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        done.set()
    rejected: dict[str, int] = {}
    for snapshot in collect.snapshots:
        for reason, count in snapshot.rejected.items():
            rejected[reason] = rejected.get(reason, 0) + count
    assert rejected == {"line_too_long": 1, "bad_line": 1, "bad_hex": 1}
    assert collect.sources_by_hex() == {"ae0007": "rx"}
