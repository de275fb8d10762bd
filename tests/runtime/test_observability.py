"""The observability is real: Debian's Prometheus scrapes a running service and every
Grafana panel's query returns data; promtool accepts the deploy configs and rules.

`borderwatch run` polls a local aiohttp feed serving the TROY701 recording (ADS-B
Exchange v2 envelopes) from two sources plus one dead source, and delivers to a local
receiver. Prometheus (a subprocess on loopback, 1 s scrapes) loads the compose
deployment's alerting rules. Without the `prometheus` binary the test is skipped on a
workstation and fails under CI (`CI` set).
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import re
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from service.runtime import run_service
from service.settings import Settings
from tests.support.feeds import RECORDING_AS_LIVE
from tests.support.net import free_port
from tests.support.paths import ROOT, require
from tests.support.servers import http_server

DEPLOY = ROOT / "deploy"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "borderwatch.json"
# Grafana's $__rate_interval is four scrape intervals; with 1 s scrapes a few seconds.
# The job and instance variables select everything ("All").
VARIABLES = {"$__rate_interval": "10s", "$job": ".+", "$instance": ".+"}
START_AT = 1_755_073_500.0  # 2025-08-13 08:25 UTC: 12 minutes before the crossing
SNAPSHOTS_PER_POLL = 2
QUERY_DEADLINE_S = 90.0


def tool(name: str) -> str:
    """Path of a Prometheus binary; skip without it, but fail under CI."""
    path = shutil.which(name)
    require(path is not None, f"`{name}` not installed (apt-get install prometheus)")
    assert path is not None
    return path


def resolve(where: str, expr: str) -> str:
    """`expr` with the dashboard's variables as Grafana fills them in ("All" picked)."""
    for name, value in VARIABLES.items():
        expr = expr.replace(name, value)
    assert "$" not in expr, f"unresolved variable in {where!r}: {expr}"
    return expr


def panel_queries() -> list[tuple[str, str]]:
    """(title, PromQL) of every dashboard target and enabled annotation, resolved."""
    dashboard = json.loads(DASHBOARD.read_text())
    found = []
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            found.append((panel["title"], resolve(panel["title"], target["expr"])))
    for note in dashboard["annotations"]["list"]:
        if "expr" in note and note["enable"]:
            found.append((f"annotation {note['name']}", resolve(note["name"], note["expr"])))
    return found


def variable_queries() -> list[tuple[str, str, str]]:
    """(variable, selector, label) of each `label_values(selector, label)` variable."""
    found = []
    for variable in json.loads(DASHBOARD.read_text())["templating"]["list"]:
        if variable["type"] == "query":
            match = re.fullmatch(r"label_values\((.+), (\w+)\)", variable["query"]["query"])
            assert match, f"variable {variable['name']}: {variable['query']}"
            selector = resolve(variable["name"], match.group(1))
            found.append((variable["name"], selector, match.group(2)))
    return found


def test_dashboard_asks_for_its_datasource_job_and_instance() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    datasource = (DEPLOY / "grafana/provisioning/datasources/prometheus.yml").read_text()
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    # Preselected: the datasource the compose deployment provisions.
    assert f"uid: {variables['datasource']['current']['value']}" in datasource
    assert {"job", "instance"} <= variables.keys()
    chosen = {"type": "prometheus", "uid": "${datasource}"}
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    assert len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])
    for panel in panels:
        assert panel["datasource"] == chosen, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == chosen, panel["title"]
            # Every query is scoped to the chosen job and instance.
            assert 'instance=~"$instance"' in target["expr"], (panel["title"], target["expr"])
    rows = [p["title"] for p in dashboard["panels"] if p["type"] == "row"]
    assert {"Feeds", "Detection", "Delivery", "Health"} <= set(rows)
    titles = " ".join(p["title"].lower() for p in panels)
    for topic in ("feed success", "feed latency", "freshness", "data age", "positions per second",
                  "aircraft tracked", "abroad", "alerts by rule", "deliveries", "outbox",
                  "stage latency", "poll cycle", "memory", "version"):  # fmt: skip
        assert topic in titles, topic
    notes = [n for n in dashboard["annotations"]["list"] if "expr" in n]
    assert any("borderwatch_alerts_total" in n["expr"] and n["enable"] for n in notes)


def test_promtool_accepts_config_and_rules() -> None:
    promtool = tool("promtool")
    for args in (
        ["check", "config", "prometheus.yml"],
        ["check", "rules", "rules.yml"],
        ["test", "rules", "rules_test.yml"],
    ):
        result = subprocess.run(
            [promtool, *args], cwd=DEPLOY / "prometheus", capture_output=True, text=True
        )
        assert result.returncode == 0, f"promtool {' '.join(args)}:\n{result.stdout}{result.stderr}"


def adsbx(snapshot: dict[str, Any]) -> dict[str, Any]:
    """A recorded readsb snapshot as an ADS-B Exchange v2 response, plus one bad record."""
    aircraft = [*snapshot["aircraft"], {"hex": "ae0001", "lat": 123.0, "lon": 5.0}]
    return {"ac": aircraft, "msg": "No error", "now": snapshot["now"] * 1000,
            "total": len(aircraft), "ctime": 0, "ptime": 1}  # fmt: skip


@dataclass
class LocalFeed:
    """The feed's base URL, what the receiver got, and the switch that lets time run."""

    base: str
    received: list[dict[str, Any]]
    # Until set, every poll gets the first snapshot again (nothing happens): Prometheus
    # must have scraped the zeros before the first alert, or `increase()` misses it.
    flowing: asyncio.Event


@contextlib.asynccontextmanager
async def local_feed(recording: Path) -> AsyncIterator[LocalFeed]:
    """A feed serving the recording from START_AT (shared cursor) and a receiver."""
    with gzip.open(recording, "rt") as lines:
        snapshots = [s for s in map(json.loads, lines) if s["now"] >= START_AT]
    cursor = 0
    received: list[dict[str, Any]] = []
    flowing = asyncio.Event()

    async def feed(_: web.Request) -> web.Response:
        nonlocal cursor
        if flowing.is_set():
            cursor = min(cursor + SNAPSHOTS_PER_POLL, len(snapshots) - 1)
        return web.json_response(adsbx(snapshots[cursor]))

    async def hook(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.Response(status=204)

    async with http_server({"GET /{source}/v2/mil": feed, "POST /hook": hook}) as base:
        yield LocalFeed(base, received, flowing)


@contextlib.contextmanager
def prometheus(target_port: int, workdir: Path) -> Iterator[str]:
    """Debian's Prometheus scraping 127.0.0.1:`target_port` every second, with the
    deployment's alerting rules; yields its base URL."""
    binary = tool("prometheus")
    port = free_port()
    config = workdir / "prometheus.yml"
    config.write_text(
        json.dumps(  # JSON is YAML
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "rule_files": [str(DEPLOY / "prometheus" / "rules.yml")],
                "scrape_configs": [
                    {
                        "job_name": "borderwatch",
                        "static_configs": [{"targets": [f"127.0.0.1:{target_port}"]}],
                    }
                ],
            }
        )
    )
    log = (workdir / "prometheus.log").open("wb")
    proc = subprocess.Popen(
        [binary, f"--config.file={config}", f"--storage.tsdb.path={workdir / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


async def query(session: aiohttp.ClientSession, base: str, expr: str) -> list[Any]:
    """The result vector of an instant query ([] while Prometheus is not up yet)."""
    try:
        async with session.get(f"{base}/api/v1/query", params={"query": expr}) as response:
            body = await response.json()
    except aiohttp.ClientError:
        return []
    assert body["status"] == "success", f"{expr}: {body}"
    return list(body["data"]["result"])


async def wait_until_ready(session: aiohttp.ClientSession, base: str) -> None:
    async with asyncio.timeout(30):
        while True:
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(f"{base}/-/ready") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.2)  # polling interval, not a timing assumption


@pytest.mark.timeout(300)  # a real Prometheus must scrape and evaluate every panel
async def test_every_dashboard_query_returns_data_from_a_real_scrape(
    boundaries_path: Path, troy701_path: Path, redis_url: str, tmp_path: Path
) -> None:
    tool("prometheus")  # skip (or fail under CI) before starting anything
    http_port = free_port()
    async with local_feed(troy701_path) as local:
        base = local.base
        feed = {"kind": "adsbx", "interval_s": 0.25, **RECORDING_AS_LIVE}
        settings = Settings.model_validate(
            {
                "boundaries": {"path": str(boundaries_path)},
                "store": {"redis_url": redis_url, "key_prefix": "bwobstest"},
                "feeds": [
                    {**feed, "name": "feed-a", "url": f"{base}/a/v2/mil"},
                    {**feed, "name": "feed-b", "url": f"{base}/b/v2/mil"},
                    {**feed, "name": "dead", "url": f"http://127.0.0.1:{free_port()}/v2/mil"},
                ],
                "rules": [
                    {"id": "foreign-airspace", "type": "foreign_airspace"},
                    {"id": "loiter", "type": "loiter", "abroad_only": True},
                ],
                "receivers": [{"name": "hook", "url": f"{base}/hook", "signing": "none"}],
                "http": {"host": "127.0.0.1", "port": http_port},
            }
        )
        stop, started = asyncio.Event(), asyncio.Event()
        service = asyncio.create_task(run_service(settings, stop, started))
        try:
            await asyncio.wait_for(started.wait(), timeout=30)
            with prometheus(http_port, tmp_path) as prom:
                async with aiohttp.ClientSession() as session:
                    await wait_until_ready(session, prom)
                    await wait_for_data(session, prom, [("first scrape", "up == 1")])
                    local.flowing.set()
                    missing = await wait_for_data(session, prom, panel_queries())
                    unlabelled = await variables_without_values(session, prom)
                    rules = await rule_health(session, prom)
        finally:
            stop.set()
            assert await asyncio.wait_for(service, timeout=60) == 0
    assert local.received, "no webhook delivered: the run produced no alert"
    assert not missing, "dashboard panels whose query returned no data:\n" + "\n".join(
        f"  - {title}: {expr}" for title, expr in missing
    )
    assert not unlabelled, f"dashboard variables with no values: {unlabelled}"
    assert rules == {"ok"}, f"alerting rules failed to evaluate: {rules}"


async def wait_for_data(
    session: aiohttp.ClientSession, base: str, queries: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    """Poll until every query returns data or the deadline passes; the ones without."""
    missing = list(queries)
    deadline = time.monotonic() + QUERY_DEADLINE_S
    while missing and time.monotonic() < deadline:
        missing = [(t, e) for t, e in missing if not await query(session, base, e)]
        if missing:
            await asyncio.sleep(1)  # one scrape interval between rounds
    return missing


async def variables_without_values(session: aiohttp.ClientSession, base: str) -> list[str]:
    """The dashboard variables whose `label_values` query would offer nothing."""
    empty = []
    for name, selector, label in variable_queries():
        series = await query(session, base, selector)
        if not any(label in s["metric"] for s in series):
            empty.append(name)
    return empty


async def rule_health(session: aiohttp.ClientSession, base: str) -> set[str]:
    """Health of every loaded alerting rule ("ok" once evaluated without error)."""
    async with asyncio.timeout(30):
        while True:
            async with session.get(f"{base}/api/v1/rules") as response:
                groups = (await response.json())["data"]["groups"]
            health = {rule["health"] for group in groups for rule in group["rules"]}
            if groups and "unknown" not in health:
                return health
            await asyncio.sleep(1)
