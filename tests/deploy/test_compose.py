"""The compose stack really runs (`make compose-test`; .ci/run calls it).

docker compose builds the image and starts borderwatch, Redis, Prometheus and
Alertmanager (its config generated from borderwatch's by the one-shot
`alertmanager-config`) as users run them (docker-compose.yml), plus a local feed
replaying the TROY701 crossing and a webhook receiver that checks every signature
(tests/deploy/compose.test.yml). Then: the receiver gets the signed notifications;
Prometheus scrapes the service (`up == 1`) and has loaded its rules; `restart redis`
and a SIGKILL of borderwatch mid-flight lose nothing and duplicate nothing; `stop`
finishes within the grace period. With borderwatch stopped, the real BorderwatchDown
rule fires (after its 2 minutes) and Alertmanager delivers it to the receiver that
takes critical alerts. Grafana stays out (it is in the compose file for users; its
provisioning is checked by tests/runtime/test_observability.py).

Needs a Docker engine and the images the compose file names (on machines without
Docker Hub, ../shared/tools/docker-standins.sh builds stand-ins; .ci/run does). The
stand-ins carry tags only, so the stack runs with the public images named by tag and
the image built from the tag-only base (tests/deploy/offline.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.offline import base_image, override
from tests.runtime.support import LINES
from tests.support.net import free_port
from tests.support.paths import ROOT, require

pytestmark = [pytest.mark.compose, pytest.mark.timeout(1200)]
PROJECT = "bwcomposetest"
DOWN = "BorderwatchDown"
# alertmanager-config runs first: alertmanager waits for it to complete.
SERVICES = ["redis", "prometheus", "alertmanager", "borderwatch", "feed", "receiver"]


def compose_command() -> list[str]:
    """`docker compose` (v2) or `docker-compose` (v1), whichever this machine has."""
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True)
        if probe.returncode == 0:
            return ["docker", "compose"]
    legacy = shutil.which("docker-compose")
    require(legacy is not None, "neither `docker compose` nor `docker-compose` is installed")
    assert legacy is not None
    return [legacy]


class Stack:
    """The compose project under test and the ports it publishes on loopback."""

    def __init__(self, data: Path) -> None:
        # The public images by their tags: the local stand-ins have no digest names.
        offline = data / "offline.yml"
        offline.write_text(yaml.safe_dump(override()))
        self.base = [
            *compose_command(), "-p", PROJECT, "-f", str(ROOT / "docker-compose.yml"),
            "-f", str(ROOT / "tests" / "deploy" / "compose.test.yml"), "-f", str(offline),
        ]  # fmt: skip
        self.ports = {name: free_port() for name in ("service", "feed", "receiver")}
        self.env = {
            **os.environ,
            "BW_TEST_PYTHON_IMAGE": base_image(),
            "GRAFANA_ADMIN_PASSWORD": "compose-test-unused",  # required; Grafana stays out
            "BW_TEST_DATA": str(data),
            "BW_TEST_SERVICE_PORT": str(self.ports["service"]),
            "BW_TEST_FEED_PORT": str(self.ports["feed"]),
            "BW_TEST_RECEIVER_PORT": str(self.ports["receiver"]),
        }

    def run(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*self.base, *args],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        assert result.returncode == 0, f"compose {' '.join(args)}:\n{result.stderr[-3000:]}"
        return result

    def get(self, port: int, path: str) -> Any:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return json.loads(response.read())

    def received(self) -> list[dict[str, Any]]:
        body = self.get(self.ports["receiver"], "/received")
        assert body["refused"] == 0, "a request arrived unsigned or badly signed"
        return list(body["received"])

    def from_alertmanager(self) -> list[dict[str, Any]]:
        """What Alertmanager posted to the receiver (its webhook JSON)."""
        return list(self.get(self.ports["receiver"], "/received")["alertmanager"])

    def prometheus(self, query: str) -> list[Any]:
        """A PromQL query against the stack's Prometheus (published on 127.0.0.1:9090)."""
        from urllib.parse import quote

        body = self.get(9090, f"/api/v1/query?query={quote(query)}")
        return list(body["data"]["result"])

    def wait(self, what: str, check: Any, seconds: float = 180) -> Any:
        deadline = time.monotonic() + seconds
        while True:
            try:
                value = check()
            except (OSError, ValueError, KeyError):
                value = None
            if value:
                return value
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.5)  # polling a set of containers: no event to wait on


@pytest.fixture(scope="module")
def stack(troy701_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    require(shutil.which("docker") is not None, "docker is not installed")
    data = tmp_path_factory.mktemp("compose-data")
    import gzip

    with gzip.open(troy701_path, "rb") as handle:
        lines = handle.readlines()[:LINES]
    with gzip.open(data / "recording.jsonl.gz", "wb") as out:
        out.writelines(lines)
    data.chmod(0o755)
    (data / "recording.jsonl.gz").chmod(0o644)
    stack = Stack(data)
    stack.run("down", "-v", "--remove-orphans", timeout=120)
    stack.run("build", "borderwatch", timeout=1200)
    stack.run("up", "-d", *SERVICES, timeout=600)
    try:
        yield stack
    finally:
        logs = subprocess.run([*stack.base, "logs", "--no-color", "--tail", "50", "borderwatch",
                               "alertmanager-config", "alertmanager"],
                              cwd=ROOT, env=stack.env, capture_output=True, text=True)  # fmt: skip
        print(logs.stdout[-5000:])
        stack.run("down", "-v", "--remove-orphans", timeout=180)


def test_the_stack_alerts_survives_redis_and_borderwatch_restarts_and_stops_in_time(
    stack: Stack, troy701_path: Path, boundaries_path: Path, tmp_path: Path
) -> None:
    import asyncio

    from tests.runtime.support import expected, troy_lines

    wanted = asyncio.run(expected(boundaries_path, troy_lines(troy701_path), tmp_path))
    wanted_ids = {n["id"] for n in wanted}

    first = stack.wait("the first notification", stack.received)
    assert first[0]["rule"]["id"] == "foreign-airspace" and first[0]["kind"] == "opened"

    # Prometheus scrapes the service and has its rules.
    stack.wait("Prometheus to scrape borderwatch",
               lambda: [r for r in stack.prometheus('up{job="borderwatch"}')
                        if r["value"][1] == "1"])  # fmt: skip
    rules = stack.get(9090, "/api/v1/rules")["data"]["groups"]
    assert any(g["name"] == "borderwatch-health" for g in rules)

    # Redis restarts (append-only on): nothing lost, nothing twice.
    stack.run("restart", "redis", timeout=120)
    # borderwatch is killed mid-flight, then started again.
    stack.run("kill", "-s", "SIGKILL", "borderwatch", timeout=60)
    stack.run("up", "-d", "borderwatch", timeout=300)

    def everything() -> bool:
        feed = stack.get(stack.ports["feed"], "/state")
        got = {n["id"] for n in stack.received()}
        return feed["served"] > feed["lines"] + 5 and got >= wanted_ids

    stack.wait("every notification", everything, seconds=300)
    ids = [n["id"] for n in stack.received()]
    assert len(ids) == len(set(ids)), "a notification went out twice"
    assert set(ids) == wanted_ids

    # `stop` sends SIGTERM; the service is gone within its grace (10 s) plus 5 s.
    began = time.monotonic()
    stack.run("stop", "borderwatch", timeout=120)
    assert time.monotonic() - began < 15 + 5  # plus docker's own bookkeeping
    state = stack.run("ps", "borderwatch").stdout
    assert "Exit 0" in state or "exited (0)" in state.lower(), state


def test_a_self_health_alert_reaches_its_receiver_through_alertmanager(stack: Stack) -> None:
    # Alertmanager runs the generated config: the enabled receivers and the null one.
    receivers = stack.wait("Alertmanager", lambda: stack.get(9093, "/api/v2/receivers"))
    assert sorted(r["name"] for r in receivers) == ["_null", "ops", "webhook"]
    # Prometheus has found it (prometheus.yml, alerting:).
    found = stack.wait(
        "Prometheus to see Alertmanager",
        lambda: stack.get(9090, "/api/v1/alertmanagers")["data"]["activeAlertmanagers"],
    )
    assert [a["url"] for a in found] == ["http://alertmanager:9093/api/v2/alerts"]
    assert stack.from_alertmanager() == []

    # borderwatch stops: no scrape answers, BorderwatchDown (critical) fires after its
    # 2 minutes, and Alertmanager posts it to `ops`, the receiver of critical alerts.
    stack.run("stop", "borderwatch", timeout=120)

    def down_alert() -> list[dict[str, Any]]:
        posts = [p for p in stack.from_alertmanager() if p.get("status") == "firing"]
        return [p for p in posts if {a["labels"]["alertname"] for a in p["alerts"]} == {DOWN}]

    [post, *_] = stack.wait(f"{DOWN} from Alertmanager", down_alert, seconds=360)
    assert post["version"] == "4" and post["receiver"] == "ops"
    [alert] = post["alerts"]
    assert alert["labels"]["severity"] == "critical" and alert["labels"]["job"] == "borderwatch"
    assert "borderwatch is not answering scrapes" in alert["annotations"]["summary"]
    # The signed receiver (warnings only) got nothing unsigned meanwhile.
    stack.received()
