"""`borderwatch run` against a local feed server and a local receiver, scraped over HTTP."""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from service import __version__
from service.runtime import run_service
from service.settings import Settings
from tests.runtime.support import service_env
from tests.support.feeds import RECORDING_AS_LIVE
from tests.support.net import free_port
from tests.support.paths import ROOT
from tests.support.servers import Serve

T0 = 1_755_081_600.0  # 2025-08-13 10:40 UTC


def adsbx_response(request_no: int) -> dict[str, Any]:
    """ADSBx v2 envelope (now in ms): TROY701 deep in Mexico, heading south, plus civil."""
    now = T0 + 60 * request_no
    troy = {
        "hex": "ae2fd0",
        "flight": "TROY701 ",
        "r": "CBP-113",
        "t": "Q9",
        "dbFlags": 1,
        "lat": 24.0 - 0.05 * request_no,
        "lon": -101.0,
        "alt_baro": 23000,
        "gs": 220.0,
        "track": 180.0,
        "seen_pos": 0.5,
        "type": "adsb_icao",
    }
    civil = {"hex": "0d0abc", "flight": "AMX123  ", "lat": 25.0, "lon": -100.0, "alt_baro": 36000}
    return {
        "ac": [troy, civil],
        "msg": "No error",
        "now": now * 1000,
        "total": 2,
        "ctime": 0,
        "ptime": 1,
    }


async def test_run_polls_detects_delivers_and_exports_metrics(
    boundaries_path: Path, serve: Serve
) -> None:
    requests = 0
    received: list[dict[str, Any]] = []
    delivered = asyncio.Event()

    async def feed(_: web.Request) -> web.Response:
        nonlocal requests
        requests += 1
        return web.json_response(adsbx_response(requests))

    async def receiver(request: web.Request) -> web.Response:
        received.append(json.loads(await request.read()))
        delivered.set()
        return web.Response(status=204)

    base = await serve({"GET /v2/mil": feed, "POST /hook": receiver})
    http_port = free_port()
    dead_port = free_port()  # nothing listens here: a failing source
    settings = Settings.model_validate(
        {
            "boundaries": {"path": str(boundaries_path)},
            "feeds": [
                {
                    "name": "local",
                    "kind": "adsbx",
                    "url": f"{base}/v2/mil",
                    "interval_s": 1,
                    **RECORDING_AS_LIVE,
                },
                {
                    "name": "dead",
                    "kind": "adsbx",
                    "url": f"http://127.0.0.1:{dead_port}/v2/mil",
                    "interval_s": 1,
                },
            ],
            "rules": [{"id": "foreign-airspace", "type": "foreign_airspace"}],
            "receivers": [{"name": "hook", "url": f"{base}/hook", "signing": "none"}],
            "http": {"host": "127.0.0.1", "port": http_port},
        }
    )
    stop = asyncio.Event()
    service = asyncio.create_task(run_service(settings, stop))
    try:
        await asyncio.wait_for(delivered.wait(), timeout=30)
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{http_port}/metrics") as response:
                assert response.status == 200
                metrics = await response.text()
            async with session.get(f"http://127.0.0.1:{http_port}/healthz") as response:
                assert response.status == 200
            async with session.get(f"http://127.0.0.1:{http_port}/readyz") as response:
                assert response.status == 200, await response.text()
    finally:
        stop.set()
        assert await asyncio.wait_for(service, timeout=30) == 0

    assert received[0]["rule"]["id"] == "foreign-airspace"
    assert received[0]["aircraft"]["hex"] == "ae2fd0"
    assert received[0]["area"]["country"] == "MX"
    assert (
        'borderwatch_alerts_total{kind="opened",rule="foreign-airspace",status="firing"} 1.0'
        in metrics
    )
    assert 'borderwatch_feed_requests_total{outcome="ok",source="local"}' in metrics
    assert 'borderwatch_feed_requests_total{outcome="connection",source="dead"}' in metrics
    assert 'borderwatch_deliveries_total{outcome="delivered",receiver="hook"} 1.0' in metrics
    assert "borderwatch_aircraft_tracked 1.0" in metrics
    # The feed's own time of its newest data (T0 + 60 s per request), not the poll time.
    data_time = re.search(r'^borderwatch_feed_data_timestamp_seconds\{source="local"\} (\S+)$',
                          metrics, re.M)  # fmt: skip
    assert data_time is not None and T0 < float(data_time.group(1)) <= T0 + 60 * requests
    assert re.search(r"^borderwatch_poll_cycle_duration_seconds_count [1-9]", metrics, re.M)


async def test_every_series_a_dashboard_or_rule_reads_exists_at_zero_from_the_start(
    boundaries_path: Path,
) -> None:
    """Counters appear at 0 before their first event, so `increase()` sees the first
    alert of each kind; build_info and the process metrics are there too."""
    http_port = free_port()
    settings = Settings.model_validate(
        {
            "boundaries": {"path": str(boundaries_path)},
            # Nothing answers: no event of any kind can happen.
            "feeds": [
                {
                    "name": "silent",
                    "kind": "adsbx",
                    "interval_s": 60,
                    "url": f"http://127.0.0.1:{free_port()}/v2/mil",
                }
            ],
            "rules": [
                {"id": "foreign-airspace", "type": "foreign_airspace"},
                {"id": "loiter", "type": "loiter"},
            ],
            "receivers": [
                {"name": "hook", "url": f"http://127.0.0.1:{free_port()}/hook", "signing": "none"},
                {"name": "chat", "type": "slack", "url": f"http://127.0.0.1:{free_port()}/s"},
            ],
            "http": {"host": "127.0.0.1", "port": http_port},
        }
    )
    stop, started = asyncio.Event(), asyncio.Event()
    began = time.time()
    service = asyncio.create_task(run_service(settings, stop, started))
    try:
        await asyncio.wait_for(started.wait(), timeout=30)
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{http_port}/metrics") as response,
        ):
            metrics = await response.text()
    finally:
        stop.set()
        assert await asyncio.wait_for(service, timeout=30) == 0

    def value(series: str) -> float:
        found = re.search(rf"^{re.escape(series)} (\S+)$", metrics, re.M)
        assert found is not None, f"{series} is not exported"
        return float(found.group(1))

    for rule in ("foreign-airspace", "loiter"):
        for status, kind in (("firing", "opened"), ("firing", "update"), ("resolved", "resolved")):
            assert (
                value(f'borderwatch_alerts_total{{kind="{kind}",rule="{rule}",status="{status}"}}')
                == 0
            )
        assert value(f'borderwatch_silenced_notifications_total{{rule="{rule}"}}') == 0
        assert value(f'borderwatch_episodes_open{{rule="{rule}"}}') == 0
    for receiver in ("hook", "chat"):
        for outcome in ("delivered", "rejected", "gave_up", "silenced", "throttled"):
            series = f'borderwatch_deliveries_total{{outcome="{outcome}",receiver="{receiver}"}}'
            assert value(series) == 0
        assert value(f'borderwatch_dead_letters{{receiver="{receiver}"}}') == 0
    assert value('borderwatch_feed_requests_total{outcome="ok",source="silent"}') == 0
    assert value('borderwatch_records_rejected_total{reason="bad_hex",source="silent"}') == 0
    # A feed that never answers still has a last success to go stale from: the start.
    assert began <= value('borderwatch_feed_last_success_timestamp_seconds{source="silent"}')
    assert value("borderwatch_poll_cycle_duration_seconds_count") == 0
    build = re.search(r'^borderwatch_build_info\{commit="([^"]+)",version="([^"]+)"\} 1\.0$',
                      metrics, re.M)  # fmt: skip
    assert build is not None and build.group(2) == __version__ and build.group(1)
    assert value("process_resident_memory_bytes") > 0
    assert "python_info{" in metrics


async def test_readyz_reports_not_ready_without_a_fresh_feed(boundaries_path: Path) -> None:
    http_port = free_port()
    settings = Settings.model_validate(
        {
            "boundaries": {"path": str(boundaries_path)},
            "feeds": [
                {"name": "dead", "kind": "adsbx", "url": f"http://127.0.0.1:{free_port()}/x"}
            ],
            "http": {"host": "127.0.0.1", "port": http_port},
        }
    )
    stop, started = asyncio.Event(), asyncio.Event()
    service = asyncio.create_task(run_service(settings, stop, started))
    try:
        await asyncio.wait_for(started.wait(), timeout=30)
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{http_port}/readyz") as response,
        ):
            body = await response.json()
            assert response.status == 503
            assert body["problems"] == ["no feed answered recently"]
    finally:
        stop.set()
        assert await asyncio.wait_for(service, timeout=30) == 0


async def test_sigterm_stops_the_process_gracefully(boundaries_path: Path, tmp_path: Path) -> None:
    import signal
    import sys

    config = tmp_path / "config.yaml"
    config.write_text(
        f"boundaries: {{path: {boundaries_path}}}\nhttp: {{host: 127.0.0.1, port: {free_port()}}}\n"
    )
    env = service_env()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "service", "--log-json", "run", "--config", str(config),
        cwd=ROOT, env=env, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stderr is not None
    events = []
    async with asyncio.timeout(60):
        while "service.started" not in events:
            line = await proc.stderr.readline()
            assert line, "the service exited before starting"
            events.append(json.loads(line)["event"])
        proc.send_signal(signal.SIGTERM)
        rest = await proc.stderr.read()
        assert await proc.wait() == 0
    events += [json.loads(line)["event"] for line in rest.splitlines() if line.strip()]
    assert events[-2:] == ["service.stopping", "service.stopped"]
