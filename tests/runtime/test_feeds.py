"""`borderwatch run` against local feed servers yields the alerts a replay of the same
data yields; a dead source beside it changes nothing."""

from __future__ import annotations

import asyncio
import gzip
import io
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from service.cli.replay import replay
from service.runtime import run_service
from service.settings import Settings
from tests.runtime.support import live_feed
from tests.support.feeds import RECORDING_AS_LIVE
from tests.support.net import free_port
from tests.support.servers import Handler, Routes, Serve, http_server

LINES = 660  # the first 110 minutes of TROY701: the crossing and depth milestones


def feed_and_hook(aircraft_json: Handler, hook: Handler) -> Routes:
    """A local receiver's aircraft.json at /data/aircraft.json and a webhook at /hook."""
    return {"GET /data/aircraft.json": aircraft_json, "POST /hook": hook}


def key(body: dict[str, Any]) -> tuple[str, str, int, str]:
    return body["id"], body["rule"]["id"], body["sequence"], body["summary"]


# Served between the good responses when `hostile`: each fails the request as a whole.
FAILING = [
    b'{"now": 32503680000, "aircraft": []}',  # the year 3000
    b"<html>502 Bad Gateway</html>",
    b'{"now": 1755071500, "aircraft": [' + b"[" * 5000 + b"]" * 5000,  # deep and cut
]
# Put into every good response when `hostile`: each costs only itself.
BAD_RECORDS = (
    b'{"hex": "adf7c9", "lat": NaN, "lon": -99.1}, '
    + b"[" * 3000
    + b"]" * 3000
    + b', {"hex": "adf7c9", "dbFlags": 1, "lat": 19.3, "lon": -99.1, "gs": -5}, '
)


@pytest.mark.parametrize("hostile", [False, True], ids=["clean", "hostile"])
async def test_run_against_local_servers_alerts_like_a_replay(
    troy701_path: Path, boundaries_path: Path, tmp_path: Path, serve: Serve, hostile: bool
) -> None:
    with gzip.open(troy701_path, "rb") as handle:
        lines = handle.readlines()[:LINES]
    recording = tmp_path / "entry.jsonl"
    recording.write_bytes(b"".join(lines))
    base_settings: dict[str, Any] = {
        "boundaries": {"path": str(boundaries_path)},
        "rules": [{"id": "foreign-airspace", "type": "foreign_airspace"}],
    }
    out = io.StringIO()
    await replay(Settings.model_validate(base_settings), str(recording), deliver=False, out=out)
    expected = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(expected) >= 3  # entry and depth milestones

    served = 0
    http_port = free_port()
    received: list[dict[str, Any]] = []
    all_received, all_served = asyncio.Event(), asyncio.Event()

    requests = 0

    async def aircraft_json(_: web.Request) -> web.Response:
        # A receiver's aircraft.json, one snapshot per request, then the last one again;
        # when hostile, every other answer is one that fails, and every snapshot carries
        # records that must be dropped.
        nonlocal served, requests
        requests += 1
        if hostile and requests % 2 == 0:
            body = FAILING[(requests // 2) % len(FAILING)]
            return web.Response(body=body, content_type="application/json")
        body = lines[min(served, len(lines) - 1)]
        if hostile:
            body = body.replace(b'"aircraft":[', b'"aircraft":[' + BAD_RECORDS, 1)
        served += 1
        if served > len(lines) + 2:  # the last snapshot again, twice: all were processed
            all_served.set()
        return web.Response(body=body, content_type="application/json")

    async def hook(request: web.Request) -> web.Response:
        received.append(json.loads(await request.read()))
        if len(received) >= len(expected):
            all_received.set()
        return web.Response(status=204)

    base = await serve(feed_and_hook(aircraft_json, hook))
    settings = Settings.model_validate(
        {
            **base_settings,
            "feeds": [
                live_feed(base),
                {
                    "name": "dead",
                    "kind": "adsbx",
                    "url": f"http://127.0.0.1:{free_port()}/v2/mil",
                    "interval_s": 0.01,
                    "request_gap_s": 0,
                },
            ],
            "receivers": [{"name": "hook", "url": f"{base}/hook", "signing": "none"}],
            "http": {"host": "127.0.0.1", "port": http_port},
        }
    )
    stop = asyncio.Event()
    service = asyncio.create_task(run_service(settings, stop))

    try:
        await asyncio.wait_for(all_served.wait(), timeout=120)
        await asyncio.wait_for(all_received.wait(), timeout=60)
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{http_port}/readyz") as response:
                ready = response.status  # the good answers keep the feed fresh
            async with session.get(f"http://127.0.0.1:{http_port}/metrics") as response:
                metrics = await response.text()
    finally:
        stop.set()
        assert await asyncio.wait_for(service, timeout=60) == 0
    assert sorted(map(key, received)) == sorted(map(key, expected))
    assert ready == 200
    if hostile:
        for reason in ("future_snapshot", "invalid_json"):
            assert f'outcome="{reason}",source="receiver"' in metrics
        for reason in ("too_deep", "malformed_record", "bad_speed"):
            assert f'borderwatch_records_rejected_total{{reason="{reason}",source="receiver"}}' in (
                metrics
            )


async def test_no_network_is_not_ready_and_recovers_by_itself(boundaries_path: Path) -> None:
    feed_port, http_port = free_port(), free_port()
    requests = 0
    second_request = asyncio.Event()

    async def mil(_: web.Request) -> web.Response:
        nonlocal requests
        requests += 1
        if requests >= 2:  # the first success is recorded before the next request
            second_request.set()
        body = {"ac": [], "msg": "No error", "now": (1_755_081_600 + requests) * 1000}
        return web.json_response(body)

    settings = Settings.model_validate(
        {
            "boundaries": {"path": str(boundaries_path)},
            "feeds": [
                {
                    "name": "net",
                    "kind": "adsbx",
                    "url": f"http://127.0.0.1:{feed_port}/v2/mil",
                    "interval_s": 1,
                    "max_backoff_s": 0.2,
                    "breaker_failures": 2,
                    "breaker_probe_s": 0.2,
                    **RECORDING_AS_LIVE,
                },
            ],
            "http": {"host": "127.0.0.1", "port": http_port},
        }
    )
    stop, started = asyncio.Event(), asyncio.Event()
    service = asyncio.create_task(run_service(settings, stop, started))
    try:
        await asyncio.wait_for(started.wait(), timeout=30)
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{http_port}/readyz") as response:
                assert response.status == 503
            # The network comes back: the source finds it on its own.
            async with http_server({"GET /v2/mil": mil}, port=feed_port):
                await asyncio.wait_for(second_request.wait(), timeout=30)
                async with session.get(f"http://127.0.0.1:{http_port}/readyz") as response:
                    assert response.status == 200, await response.text()
                async with session.get(f"http://127.0.0.1:{http_port}/metrics") as response:
                    metrics = await response.text()
    finally:
        stop.set()
        assert await asyncio.wait_for(service, timeout=30) == 0
    assert 'borderwatch_feed_requests_total{outcome="connection",source="net"}' in metrics
    assert 'borderwatch_feed_circuit_open{source="net"} 0.0' in metrics
    assert 'borderwatch_feed_backoff_seconds{source="net"} 0.0' in metrics


async def test_sigterm_while_snapshots_and_deliveries_flow_stops_promptly(
    troy701_path: Path, boundaries_path: Path, serve: Serve
) -> None:
    """Stop arrives while a fast feed keeps the pipeline and the outbox busy: the service
    still winds down within its deadlines (no task may swallow the cancellation)."""
    with gzip.open(troy701_path, "rb") as handle:
        lines = handle.readlines()[:LINES]
    served = 0
    first_alert = asyncio.Event()

    async def aircraft_json(_: web.Request) -> web.Response:
        nonlocal served
        served += 1
        return web.Response(
            body=lines[min(served, len(lines) - 1)], content_type="application/json"
        )

    async def hook(_: web.Request) -> web.Response:
        first_alert.set()
        return web.Response(status=204)

    base = await serve(feed_and_hook(aircraft_json, hook))
    settings = Settings.model_validate(
        {
            "boundaries": {"path": str(boundaries_path)},
            "rules": [{"id": "foreign-airspace", "type": "foreign_airspace"}],
            "feeds": [live_feed(base)],
            "receivers": [{"name": "hook", "url": f"{base}/hook", "signing": "none"}],
            "http": {"host": "127.0.0.1", "port": free_port()},
        }
    )
    stop = asyncio.Event()
    service = asyncio.create_task(run_service(settings, stop))
    try:
        await asyncio.wait_for(first_alert.wait(), timeout=120)
        assert served < len(lines)  # the feed is still streaming when stop arrives
    finally:
        stop.set()
        # Generous bound: the delivery drain deadline plus the state save.
        assert await asyncio.wait_for(service, timeout=45) == 0
