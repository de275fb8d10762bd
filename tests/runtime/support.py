"""Helpers of the `borderwatch run` tests: TROY701 served as a live aircraft.json, a
webhook receiver that records what it gets, and what a replay of the same data says.
(No tests here.)"""

from __future__ import annotations

import asyncio
import gzip
import io
import json
import os
from pathlib import Path
from typing import Any

from aiohttp import web

from service.cli.replay import replay
from service.settings import Settings
from service.settings.history import HISTORY_ENV
from tests.support.feeds import RECORDING_AS_LIVE

LINES = 660  # the first 110 minutes of TROY701: the crossing and depth milestones
RULES = [{"id": "foreign-airspace", "type": "foreign_airspace"}]


def troy_lines(troy701_path: Path, count: int = LINES) -> list[bytes]:
    with gzip.open(troy701_path, "rb") as handle:
        return handle.readlines()[:count]


async def expected(boundaries_path: Path, lines: list[bytes], tmp_path: Path) -> list[Any]:
    """The notifications a replay of `lines` prints (what `run` must deliver)."""
    recording = tmp_path / "expected.jsonl"
    recording.write_bytes(b"".join(lines))
    settings = Settings.model_validate({"boundaries": {"path": str(boundaries_path)},
                                        "rules": RULES})  # fmt: skip
    out = io.StringIO()
    await replay(settings, str(recording), deliver=False, out=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


class TroyFeed:
    """A receiver's aircraft.json: the next line of the recording per request while
    `flowing` is set, the same line again while it is not; `done` once all were served."""

    def __init__(self, lines: list[bytes]) -> None:
        self.lines = lines
        self.served = 0  # lines handed out
        self.requests = 0
        self.flowing = asyncio.Event()
        self.flowing.set()
        self.done = asyncio.Event()

    async def handle(self, _: web.Request) -> web.Response:
        self.requests += 1
        if self.flowing.is_set() and self.served < len(self.lines):
            self.served += 1
        elif self.served >= len(self.lines):
            self.done.set()
        body = self.lines[max(0, self.served - 1)]
        return web.Response(body=body, content_type="application/json")

    def config(self, base: str) -> dict[str, Any]:
        return live_feed(base)


def live_feed(base: str) -> dict[str, Any]:
    """The feed config of a local receiver's aircraft.json at `base`/data/aircraft.json,
    polled flat out."""
    return {
        "name": "receiver",
        "kind": "readsb",
        "url": f"{base}/data/aircraft.json",
        "interval_s": 0.001,
        "request_gap_s": 0,
        **RECORDING_AS_LIVE,
    }


class Receiver:
    """A webhook receiver: records every notification it accepts; with `hold` set it
    answers nothing until `release` is set."""

    def __init__(self, wanted: int = 1) -> None:
        self.received: list[dict[str, Any]] = []
        self.wanted = wanted
        self.enough = asyncio.Event()
        self.hold = False
        self.holding = asyncio.Event()
        self.release = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self.hold:
            self.holding.set()
            await self.release.wait()
            return web.Response(status=503)
        self.received.append(json.loads(body))
        if len(self.received) >= self.wanted:
            self.enough.set()
        return web.Response(status=204)

    def ids(self) -> list[str]:
        return [n["id"] for n in self.received]


def service_env() -> dict[str, str]:
    """The environment of a `borderwatch run` child: none of the developer's
    BORDERWATCH_ settings, except the history file this test session chose
    (tests/conftest.py), so no test writes var/history.duckdb of the checkout."""
    return {
        k: v for k, v in os.environ.items() if not k.startswith("BORDERWATCH_") or k == HISTORY_ENV
    }


def key(body: dict[str, Any]) -> tuple[str, str, int, str]:
    return body["id"], body["rule"]["id"], body["sequence"], body["summary"]
